/** `berth history`, `berth releases show`, `berth diff`, `berth rollback`: a release's past, one revision, its differences, going back. */
import { isApprovalRequest } from '../../model/approvals.js';
import { ASK_HELP, askApproval, settleApproval } from '../approvalWait.js';
import { withConfirmation } from '../protection.js';
import type { Command } from 'commander';
import { versionNumber } from '../flags.js';
import { contextOf } from '../context.js';
import { followRelease } from '../progress.js';
import { age, printData, printTable } from '../output.js';
import { printPlan } from '../planView.js';
import type { Release } from '../../release/releases.js';
import type { Plan } from '../../release/planTypes.js';
import type { RenderedRelease } from '../../release/rendered.js';
import type { Environment } from '../../environment/environments.js';
import { ValidationError } from '../../errors.js';
import { WAIT_HELP, startOperation } from '../operation.js';
import { envOption } from '../envOption.js';

const base = (app: string, env: string): string =>
  `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env)}`;

/** Where a revision's content came from: ` of 3` (a rollback's target), ` from test@7` (a promotion's source). */
function origin(r: Release): string {
  const p = r.options?.promotedFrom;
  return p ? ` from ${p.env}@${p.revision}` : r.sourceRevision ? ` of ${r.sourceRevision}` : '';
}

export function registerReleases(program: Command): void {
  program
    .command('history <app>')
    .description('the revisions of an app in an environment, newest first')
    .addOption(envOption())
    .option('--limit <n>', 'how many', '50')
    .action(async (app: string, o: { env: string; limit: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = await (await ctx.client()).get<Release[]>(`${base(app, o.env)}/releases`, { limit: o.limit });
      if (ctx.output !== 'table') return printData(ctx.output, list);
      printTable(
        list.map((r) => ({
          revision: r.revision,
          kind: r.kind + origin(r),
          status: r.status,
          config: `v${r.configVersion}`,
          author: r.author,
          age: age(r.createdAt),
          message: r.status === 'failed' ? `${r.reason ?? ''}` : (r.message ?? ''),
        })),
        ['revision', 'kind', 'status', 'config', 'author', 'age', 'message'],
      );
    });

  program
    .command('releases')
    .description('one revision of an app: `berth releases show APP REVISION`')
    .command('show <app> <revision>')
    .description(
      'one revision: kind, status, config version, and per service its hash, how it runs and the image digest or code snapshot it pinned',
    )
    .addOption(envOption())
    .action(async (app: string, revision: string, o: { env: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const client = await ctx.client();
      if (!/^[1-9]\d*$/.test(revision))
        throw new ValidationError('invalid revision', [
          { file: 'command line', path: 'revision', message: `"${revision}" is not a revision number such as 3` },
        ]);
      const release = await client.get<Release>(`${base(app, o.env)}/releases/${revision}`);
      const rendered = await client.get<RenderedRelease>(`${base(app, o.env)}/releases/${revision}/rendered`);
      const environment = await client.get<Environment>(`/api/v1/environments/${encodeURIComponent(o.env)}`);
      // One machine runs a service as a process unless its workload says container; a cluster runs images.
      const runAs = (w: RenderedRelease['services'][string]['workload']): string =>
        environment.target.kind === 'kubernetes' ? 'image' : (w.runAs ?? 'process');
      if (ctx.output !== 'table') return printData(ctx.output, { release, rendered });
      process.stdout.write(
        `${app} in ${o.env}: revision ${release.revision} ${release.kind}${origin(release)} ${release.status}, config v${release.configVersion}, by ${release.author} ${age(release.createdAt)} ago${release.message ? `: ${release.message}` : ''}\n`,
      );
      printTable(
        Object.values(rendered.services).map((s) => ({
          service: s.service,
          hash: s.hash,
          replicas: s.replicas,
          'run as': runAs(s.workload),
          image: s.workload.image ?? '',
          digest: s.workload.imageDigest ?? '',
          registry: s.registry ? `${s.registry.server} as ${s.registry.username}` : '',
          // The code snapshot a process service runs (docs/releases.md); `-o json` has the whole digest.
          code: s.workload.codeDigest?.slice(0, 'sha256:'.length + 12) ?? '',
        })),
        ['service', 'hash', 'replicas', 'run as', 'image', 'digest', 'registry', 'code'],
      );
    });

  program
    .command('diff <app> <from> <to>')
    .description('what differs between two revisions, field by field (config keys included)')
    .addOption(envOption())
    .action(async (app: string, from: string, to: string, o: { env: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const plan = await (await ctx.client()).get<Plan>(`${base(app, o.env)}/diff`, { from, to });
      if (ctx.output !== 'table') return printData(ctx.output, plan);
      printPlan(plan, `${app} in ${o.env}: revision ${from} → ${to}`);
    });

  program
    .command('rollback <app>')
    .description(
      'a new revision with an earlier revision’s content, config version included (default: the last good one)',
    )
    .addOption(envOption())
    .option('--to <revision>', 'revision to go back to', versionNumber)
    .option('-m, --message <message>', 'why')
    .option('-d, --detach', 'do not follow the rollback')
    .option('--wait', WAIT_HELP)
    .option('-y, --yes', 'confirm a rollback in a protected environment without asking')
    .option('--ask <reason>', ASK_HELP)
    .action(
      async (
        app: string,
        o: {
          env: string;
          to?: number;
          message?: string;
          detach?: boolean;
          wait?: boolean;
          yes?: boolean;
          ask?: string;
        },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const client = await ctx.client();
        const body = {
          ...(o.to === undefined ? {} : { toRevision: o.to }),
          ...(o.message ? { message: o.message } : {}),
        };
        if (o.ask !== undefined)
          return askApproval(
            client,
            ctx.output,
            { action: 'rollback', app, env: o.env, request: body, reason: o.ask },
            o.wait,
          );
        const answer = await startOperation(o.wait, (wait) =>
          withConfirmation(o.yes, (confirmed) =>
            client.post<Release>(`${base(app, o.env)}/rollback`, { ...body, wait, confirmed }),
          ),
        );
        if (isApprovalRequest(answer)) return settleApproval(client, ctx.output, answer, o.wait);
        const release = answer;
        if (o.detach)
          return ctx.output !== 'table'
            ? printData(ctx.output, release)
            : void process.stdout.write(
                `revision ${release.revision} (rollback to ${release.sourceRevision}) created\n`,
              );
        const final = await followRelease(client, release, { quiet: ctx.output !== 'table' });
        if (ctx.output !== 'table') await printData(ctx.output, final);
        if (final.status !== 'succeeded') process.exitCode = 1;
      },
    );
}
