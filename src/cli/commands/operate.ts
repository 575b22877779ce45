/**
 * `berth scale APP/SERVICE N`, `berth restart APP[/SERVICE]`: operate a running app;
 * `berth promote|abort APP/SERVICE`: steer a running canary, blue-green or A/B rollout (`berth promote
 * APP --from ENV --to ENV`, a promotion between environments, is promote.ts's);
 * `berth cancel APP`: end the release in progress (it fails and rolls back per its policy).
 */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { followRelease } from '../progress.js';
import { printData } from '../output.js';
import type { Release } from '../../release/releases.js';
import { ValidationError } from '../../errors.js';
import { versionNumber } from '../flags.js';
import { WAIT_HELP, startOperation } from '../operation.js';
import { envOption } from '../envOption.js';
import { addPromotionOptions, runPromotion, type PromotionFlags } from './promote.js';

const base = (app: string, env: string): string =>
  `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env)}`;

function target(t: string, needService: boolean): { app: string; service?: string } {
  const [app, service, extra] = t.split('/');
  if (!app || extra !== undefined || (needService && !service)) {
    throw new ValidationError('invalid target', [
      {
        file: 'command line',
        path: 'target',
        message: `"${t}" is not ${needService ? 'APP/SERVICE' : 'APP or APP/SERVICE'}`,
      },
    ]);
  }
  return service ? { app, service } : { app };
}

async function follow(cmd: Command, release: Release, detach?: boolean): Promise<void> {
  const ctx = contextOf(cmd);
  if (detach)
    return ctx.output !== 'table'
      ? printData(ctx.output, release)
      : void process.stdout.write(`revision ${release.revision} created (${release.message})\n`);
  const final = await followRelease(await ctx.client(), release, { quiet: ctx.output !== 'table' });
  if (ctx.output !== 'table') await printData(ctx.output, final);
  if (final.status !== 'succeeded') process.exitCode = 1;
}

export function registerOperate(program: Command): void {
  program
    .command('scale <target> <replicas>')
    .description(
      'set the replica count of a running service (APP/SERVICE); a new revision, until the next deploy applies berth.yaml again',
    )
    .addOption(envOption())
    .option('-d, --detach', 'do not follow the rollout')
    .option('--wait', WAIT_HELP)
    .action(async (t: string, n: string, o: { env: string; detach?: boolean; wait?: boolean }, cmd: Command) => {
      const { app, service } = target(t, true);
      const replicas = Number(n);
      if (!Number.isInteger(replicas) || replicas < 0)
        throw new ValidationError('invalid replica count', [
          { file: 'command line', path: 'replicas', message: `"${n}" is not a whole number ≥ 0` },
        ]);
      const ctx = contextOf(cmd);
      const client = await ctx.client();
      const release = await startOperation(o.wait, (wait) =>
        client.post<Release>(`${base(app, o.env)}/services/${encodeURIComponent(service!)}/scale`, {
          replicas,
          wait,
        }),
      );
      // A finished release back means the count was already that: no revision was made.
      if (release.status === 'succeeded' || release.status === 'failed') {
        if (ctx.output !== 'table') return printData(ctx.output, release);
        return void process.stdout.write(
          `${app}/${service} already runs ${replicas} replica${replicas === 1 ? '' : 's'} in revision ${release.revision}: nothing to change\n`,
        );
      }
      await follow(cmd, release, o.detach);
    });

  program
    .command('restart <target>')
    .description(
      'rolling restart of a service (APP/SERVICE) or of every service (APP): new replicas replace the old ones, no downtime',
    )
    .addOption(envOption())
    .option('-d, --detach', 'do not follow the rollout')
    .option('--wait', WAIT_HELP)
    .action(async (t: string, o: { env: string; detach?: boolean; wait?: boolean }, cmd: Command) => {
      const { app, service } = target(t, false);
      const ctx = contextOf(cmd);
      const path = service
        ? `${base(app, o.env)}/services/${encodeURIComponent(service)}/restart`
        : `${base(app, o.env)}/restart`;
      const client = await ctx.client();
      const release = await startOperation(o.wait, (wait) => client.post<Release>(path, { wait }));
      await follow(cmd, release, o.detach);
    });

  const promote = program
    .command('promote <target>')
    .description(
      'end the current pause of the canary, blue-green or A/B rollout of APP/SERVICE (with --full, skip every remaining step); with --from and --to, promote APP between environments: the exact spec, images and code of its revision in FROM, with the config of TO',
    )
    .addOption(envOption())
    .option('--full', 'skip every remaining step and check: the new version takes all traffic now')
    .action(async (t: string, o: { env: string; full?: boolean } & PromotionFlags, cmd: Command) => {
      if (o.from !== undefined || o.to !== undefined) return runPromotion(t, o, cmd);
      const { app, service } = target(t, true);
      const ctx = contextOf(cmd);
      const release = await (
        await ctx.client()
      ).post<Release>(`${base(app, o.env)}/services/${encodeURIComponent(service!)}/promote`, {
        full: o.full === true,
      });
      if (ctx.output !== 'table') await printData(ctx.output, release);
      else
        process.stdout.write(
          `${o.full ? 'full promotion' : 'promotion'} of ${service} requested in revision ${release.revision}\n`,
        );
    });
  addPromotionOptions(promote);

  program
    .command('abort <target>')
    .description(
      'abort the canary, blue-green or A/B rollout of APP/SERVICE: all traffic back to the stable version, the release fails and rolls back',
    )
    .addOption(envOption())
    .action(async (t: string, o: { env: string }, cmd: Command) => {
      const { app, service } = target(t, true);
      const ctx = contextOf(cmd);
      const release = await (
        await ctx.client()
      ).post<Release>(`${base(app, o.env)}/services/${encodeURIComponent(service!)}/abort`, {});
      if (ctx.output !== 'table') await printData(ctx.output, release);
      else process.stdout.write(`abort of ${service} requested in revision ${release.revision}\n`);
    });

  program
    .command('cancel <app>')
    .description(
      'end the release in progress of APP (any kind: deploy, restart, scale, rollback...): it fails as cancelled and rolls back per its rollback policy',
    )
    .addOption(envOption())
    .option('--revision <n>', 'cancel only if this revision is the one in progress', versionNumber)
    .option('-d, --detach', 'return once the cancel is recorded, without following the release')
    .action(async (app: string, o: { env: string; revision?: number; detach?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const client = await ctx.client();
      const release = await client.post<Release>(`${base(app, o.env)}/cancel`, {
        ...(o.revision === undefined ? {} : { revision: o.revision }),
      });
      if (o.detach)
        return ctx.output !== 'table'
          ? printData(ctx.output, release)
          : void process.stdout.write(`cancel of revision ${release.revision} of ${release.app} requested\n`);
      const final = await followRelease(client, release, { quiet: ctx.output !== 'table' });
      if (ctx.output !== 'table') await printData(ctx.output, final);
      // The release may have finished on its own before the cancel reached it.
      if (final.status !== 'failed' || !final.reason?.startsWith('cancelled by')) {
        process.stderr.write(`revision ${final.revision} ended ${final.status} before the cancel took effect\n`);
        process.exitCode = 1;
      }
    });
}
