/** `berth deploy` and `berth plan`: apply an app to an environment, or show what that would change. */
import type { Command } from 'commander';
import { versionNumber } from '../flags.js';
import { contextOf } from '../context.js';
import { readSpecInput } from '../specInput.js';
import { followRelease } from '../progress.js';
import { printJSON } from '../output.js';
import { printPlan } from '../planView.js';
import type { Release } from '../../release/releases.js';
import type { PlanResult } from '../../release/engine.js';
import { ValidationError } from '../../errors.js';

const defaultEnv = (): string => process.env.BERTH_ENV ?? 'local';

export function registerDeploy(program: Command): void {
  program
    .command('plan [dir]')
    .description('show which services a deploy would change and why, field by field')
    .option('-e, --env <env>', 'environment', defaultEnv())
    .option('--config-version <n>', 'config version to plan with (default: current)', versionNumber)
    .action(async (dir: string | undefined, o: { env: string; configVersion?: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const client = await ctx.client();
      const res = await client.post<PlanResult>('/api/v1/plans', {
        env: o.env,
        spec: await readSpecInput(dir),
        ...(o.configVersion === undefined ? {} : { configVersion: o.configVersion }),
      });
      if (ctx.output === 'json') return printJSON(res);
      const from = res.current ? `revision ${res.current.revision}` : 'nothing deployed';
      printPlan(
        res.plan,
        `plan for ${res.plan.app} in ${res.plan.env} (from ${from}, config version ${res.plan.toConfigVersion})`,
      );
    });

  program
    .command('deploy [dir]')
    .description('create a new revision and apply it in dependency order')
    .option('-e, --env <env>', 'environment', defaultEnv())
    .option('-m, --message <message>', 'why this release')
    .option('--no-rollback', 'leave a failed release in place instead of rolling back')
    .option('--timeout <duration>', 'fail the release when it has not finished by then (e.g. 10m)')
    .option('--config-version <n>', 'config version to deploy (default: current)', versionNumber)
    .option('-d, --detach', 'return once the release is recorded, without following it')
    .action(
      async (
        dir: string | undefined,
        o: {
          env: string;
          message?: string;
          rollback: boolean;
          timeout?: string;
          configVersion?: number;
          detach?: boolean;
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
        const release = await client.post<Release>('/api/v1/releases', {
          env: o.env,
          spec: await readSpecInput(dir),
          rollbackPolicy: o.rollback ? 'auto' : 'none',
          ...(o.message ? { message: o.message } : {}),
          ...(timeoutMs ? { timeoutSeconds: Math.ceil(timeoutMs / 1000) } : {}),
          ...(o.configVersion === undefined ? {} : { configVersion: o.configVersion }),
        });
        if (o.detach)
          return ctx.output === 'json'
            ? printJSON(release)
            : void process.stdout.write(`revision ${release.revision} of ${release.app} created (${release.status})\n`);
        const final = await followRelease(client, release, { quiet: ctx.output === 'json' });
        if (ctx.output === 'json') printJSON(final);
        if (final.status !== 'succeeded') process.exitCode = 1;
      },
    );
}
