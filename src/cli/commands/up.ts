/**
 * `berth up [DIR] [-d]`: start the control plane if it is not running and deploy the app to `local`.
 * In the foreground it streams progress, then the app's logs; Ctrl-C takes the app down gracefully.
 * `berth down [APP]` takes an app down.
 */
import { spawn } from 'node:child_process';
import { openSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { contextOf, type CliContext } from '../context.js';
import type { Client } from '../client.js';
import { DEFAULT_PORT } from '../client.js';
import { readSpecInput, appFromCwd } from '../specInput.js';
import { followRelease } from '../progress.js';
import { WAIT_HELP, startOperation } from '../operation.js';
import { bold, dim, green, printData, printTable } from '../output.js';
import type { Release } from '../../release/releases.js';
import type { AppObservation, LogLine } from '../../model/observation.js';
import { UnavailableError, ValidationError } from '../../errors.js';
import { tokenFile } from '../../server/serverInfo.js';
import { confirm } from '../confirm.js';
import { deleteVolumes } from './volume.js';
import { readFile } from 'node:fs/promises';
import { envOption } from '../envOption.js';
// Static, so in the CLI bundle: a Node.js without require(esm) (21, 22.0-22.11) cannot load dist/server.
import { assertSupportedNode } from '../../server/nodeVersion.js';

/** The console's address with the token in the fragment (never sent to a server or written to its logs). */
async function consoleLink(ctx: CliContext, url: string): Promise<string> {
  const token = (await readFile(tokenFile(ctx.home), 'utf8').catch(() => '')).trim();
  return token ? `${url}/#token=${encodeURIComponent(token)}` : `${url}/`;
}

/** Starts `berth server` in the background for this data dir; resolves once it answers. */
async function startServer(ctx: CliContext, port: string): Promise<void> {
  // Said here rather than as "did not start" after the child has printed it into server.out.
  assertSupportedNode();
  mkdirSync(ctx.home, { recursive: true, mode: 0o700 });
  const out = openSync(join(ctx.home, 'server.out'), 'a');
  const main = fileURLToPath(new URL('../main.js', import.meta.url));
  const child = spawn(process.execPath, [main, 'server', '--quiet', '--port', port], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, BERTH_HOME: ctx.home },
  });
  child.unref();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const client = await freshClient(ctx);
    if (await client.healthy()) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new UnavailableError(
    `the control plane did not start; see ${join(ctx.home, 'server.out')} and ${join(ctx.home, 'server.log')}`,
  );
}

async function freshClient(ctx: CliContext): Promise<Client> {
  const { createClient } = await import('../client.js');
  return createClient({ home: ctx.home });
}

const base = (app: string, env: string): string =>
  `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env)}`;

async function takeDown(client: Client, app: string, env: string, wait?: boolean): Promise<Release> {
  const release = await startOperation(wait, (w) => client.delete<Release>(base(app, env), { wait: String(w) }));
  return followRelease(client, release);
}

interface DownOptions {
  env: string;
  wait?: boolean;
  volumes?: boolean;
  yes?: boolean;
}

export function registerUp(program: Command): void {
  program
    .command('up [dir]')
    .description('start the control plane if needed and run the app on this machine (environment local)')
    .option('-d, --detach', 'return once the app is ready')
    .addOption(envOption('environment', 'local'))
    .option(
      '--port <port>',
      'control plane port, when it has to be started',
      process.env.BERTH_PORT ?? String(DEFAULT_PORT),
    )
    .action(async (dir: string | undefined, o: { detach?: boolean; env: string; port: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const spec = await readSpecInput(dir);
      let client = await ctx.client();
      let started = false;
      if (!(await client.healthy())) {
        process.stderr.write(dim(`starting the control plane (data in ${ctx.home})...\n`));
        await startServer(ctx, o.port);
        started = true;
        client = await freshClient(ctx);
      }
      process.stderr.write(`control plane: ${client.url}\n`);
      // Services with `build:` are built first (unchanged ones are skipped): up runs what is in the folder.
      const builds = await import('./build.js');
      if (builds.hasBuilds(spec.text))
        await builds.runBuild(client, spec, {
          env: o.env,
          output: 'table',
          out: ctx.output === 'table' ? process.stdout : process.stderr,
        });
      const release = await client.post<Release>('/api/v1/releases', {
        env: o.env,
        spec,
        message: 'berth up',
      });
      const final = await followRelease(client, release);
      if (final.status !== 'succeeded') {
        process.exitCode = 1;
        return;
      }
      const st = await client.get<AppObservation & { app: string }>(`${base(release.app, o.env)}/status`);
      if (ctx.output !== 'table') await printData(ctx.output, { controlPlane: client.url, ...st });
      else {
        process.stdout.write(
          `\n${bold(`${release.app} is running`)}\n  app:           ${green(st.edge?.url ?? '(no routes)')}\n  control plane: ${client.url}\n  console:       ${await consoleLink(ctx, client.url)}\n\n`,
        );
        printTable(
          st.services.map((s) => ({
            service: s.service,
            ready: `${s.readyReplicas}/${s.desiredReplicas}`,
            address: s.address?.url,
          })),
          ['service', 'ready', 'address'],
        );
      }
      if (o.detach) return;

      process.stderr.write(dim(`\nfollowing logs; press Ctrl-C to stop ${release.app}\n`));
      const abort = new AbortController();
      const stop = new Promise<void>((resolve) => {
        const onSignal = (): void => {
          abort.abort();
          resolve();
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
      const follow = (async () => {
        try {
          for await (const l of client.lines<LogLine>(
            `${base(release.app, o.env)}/logs`,
            { follow: 'true', tail: 0 },
            abort.signal,
          )) {
            process.stdout.write(`${dim(l.time.slice(11, 19))} ${l.service.padEnd(10)} ${l.line}\n`);
          }
        } catch {
          /* the log stream ends when the app or the control plane stops */
        }
      })();
      await stop;
      await follow;
      process.stderr.write(`\nstopping ${release.app}...\n`);
      const down = await takeDown(client, release.app, o.env);
      if (started) {
        const apps = await client.get<{ down: boolean }[]>('/api/v1/apps');
        if (apps.every((a) => a.down)) await client.post('/api/v1/shutdown', { stopGateway: true });
      }
      process.exitCode = down.status === 'succeeded' ? 0 : 1;
      process.exit();
    });

  program
    .command('down [app]')
    .description('take an app down: every replica stopped gracefully (history and volumes are kept)')
    .addOption(envOption())
    .option('--wait', WAIT_HELP)
    .option('--volumes', "also delete the app's volumes in the environment (asks first)")
    .option('-y, --yes', 'with --volumes: do not ask for confirmation')
    .action(async (app: string | undefined, o: DownOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const name = app ?? (await appFromCwd());
      if (!name)
        throw new ValidationError('which app?', [
          { file: 'command line', path: 'app', message: 'pass the app name (or run in a folder with a berth.yaml)' },
        ]);
      // Asked before anything stops: a "no" leaves the app running.
      if (o.volumes) await confirm(`take ${name} down in ${o.env} and delete the data of its volumes?`, o.yes);
      const final = await takeDown(await ctx.client(), name, o.env, o.wait);
      const volumes =
        o.volumes && final.status === 'succeeded'
          ? { volumesDeleted: await deleteVolumes(cmd, name, o.env, undefined, true) }
          : {};
      if (ctx.output !== 'table') await printData(ctx.output, { ...final, ...volumes });
      if (final.status !== 'succeeded') process.exitCode = 1;
    });
}
