/** `berth deploy` and `berth plan`: apply an app to an environment, or show what that would change. */
import type { Command } from 'commander';
import { versionNumber } from '../flags.js';
import { contextOf } from '../context.js';
import { readSpecInput } from '../specInput.js';
import { followRelease } from '../progress.js';
import { printData } from '../output.js';
import { printPlan } from '../planView.js';
import { withConfirmation } from '../protection.js';
import type { Release } from '../../release/releases.js';
import type { PlanResponse } from '../../server/apiTypes.js';
import { driftText } from '../../release/configDrift.js';
import { ValidationError } from '../../errors.js';
import { WAIT_HELP, startOperation } from '../operation.js';
import { envOption } from '../envOption.js';
import { isApprovalRequest, type ApprovalRequest } from '../../model/approvals.js';
import { ASK_HELP, settleApproval } from '../approvalWait.js';

/** What a plan starts from: the running revision, or why nothing succeeded while replicas may run. */
function fromText(res: PlanResponse): string {
  if (res.current) return `revision ${res.current.revision}`;
  const running = `${res.runningReplicas} replica${res.runningReplicas === 1 ? '' : 's'} running`;
  if (res.lastRelease)
    return `no succeeded revision: revision ${res.lastRelease.revision} ${res.lastRelease.kind} ${res.lastRelease.status}, ${running}`;
  return res.runningReplicas > 0 ? `nothing deployed, ${running}` : 'nothing deployed';
}

export function registerDeploy(program: Command): void {
  program
    .command('plan [dir]')
    .description('show which services a deploy would change and why, field by field')
    .addOption(envOption())
    .option('--config-version <n>', 'config version to plan with (default: current)', versionNumber)
    .option('--commit <commit>', 'services with `build:` run their build of this commit (default: the newest)')
    .action(
      async (dir: string | undefined, o: { env: string; configVersion?: number; commit?: string }, cmd: Command) => {
        const ctx = contextOf(cmd);
        const client = await ctx.client();
        const res = await client.post<PlanResponse>('/api/v1/plans', {
          env: o.env,
          spec: await readSpecInput(dir),
          ...(o.configVersion === undefined ? {} : { configVersion: o.configVersion }),
          ...(o.commit === undefined ? {} : { commit: o.commit }),
        });
        if (ctx.output !== 'table') return printData(ctx.output, res);
        printPlan(
          res.plan,
          `plan for ${res.plan.app} in ${res.plan.env} (from ${fromText(res)}, config version ${res.plan.toConfigVersion})`,
        );
        if (res.configDrift) process.stdout.write(`${driftText(res.configDrift).join('\n')}\n`);
      },
    );

  program
    .command('deploy [dir]')
    .description('create a new revision and apply it in dependency order')
    .addOption(envOption())
    .option('-m, --message <message>', 'why this release')
    .option('--no-rollback', 'leave a failed release in place instead of rolling back')
    .option('--timeout <duration>', 'fail the release when it has not finished by then (e.g. 10m)')
    .option('--config-version <n>', 'config version to deploy (default: current)', versionNumber)
    .option('-d, --detach', 'return once the release is recorded, without following it')
    .option('--wait', `${WAIT_HELP}; a deploy waiting for approvals: follow it until it ran`)
    .option('-y, --yes', 'confirm a deploy into a protected environment without asking')
    .option('--ask <reason>', ASK_HELP)
    .option('--commit <commit>', 'services with `build:` run their build of this commit (default: the newest)')
    .action(
      async (
        dir: string | undefined,
        o: {
          yes?: boolean;
          ask?: string;
          env: string;
          message?: string;
          rollback: boolean;
          timeout?: string;
          configVersion?: number;
          detach?: boolean;
          wait?: boolean;
          commit?: string;
        },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const timeoutMs =
          o.timeout === undefined ? undefined : (await import('../../spec/units.js')).parseDurationMs(o.timeout);
        if (o.timeout !== undefined && timeoutMs === undefined)
          throw new ValidationError('invalid --timeout', [
            { file: 'command line', path: 'timeout', message: `"${o.timeout}" is not a duration (e.g. 90s, 10m)` },
          ]);
        const client = await ctx.client();
        const spec = await readSpecInput(dir);
        const body = {
          env: o.env,
          spec,
          rollbackPolicy: o.rollback ? 'auto' : 'none',
          ...(o.message ? { message: o.message } : {}),
          ...(timeoutMs ? { timeoutSeconds: Math.ceil(timeoutMs / 1000) } : {}),
          ...(o.configVersion === undefined ? {} : { configVersion: o.configVersion }),
          ...(o.commit === undefined ? {} : { commit: o.commit }),
        };
        if (o.ask !== undefined) {
          const { parseSpec } = await import('../../spec/load.js');
          const app = parseSpec(spec.text, spec.file).spec.name;
          const asked = await client.post<ApprovalRequest>('/api/v1/approvals', {
            action: 'deploy',
            app,
            env: o.env,
            request: body,
            reason: o.ask,
          });
          return settleApproval(client, ctx.output, asked, o.wait);
        }
        const answer = await startOperation(o.wait, (wait) =>
          withConfirmation(o.yes, (confirmed) =>
            client.post<Release>('/api/v1/releases', { ...body, wait, confirmed }),
          ),
        );
        // Into an environment that needs approvals: recorded as a request, run once approved.
        if (isApprovalRequest(answer)) return settleApproval(client, ctx.output, answer, o.wait);
        const release = answer;
        if (o.detach)
          return ctx.output !== 'table'
            ? printData(ctx.output, release)
            : void process.stdout.write(`revision ${release.revision} of ${release.app} created (${release.status})\n`);
        const final = await followRelease(client, release, { quiet: ctx.output !== 'table' });
        if (ctx.output !== 'table') await printData(ctx.output, final);
        if (final.status !== 'succeeded') process.exitCode = 1;
      },
    );
}
