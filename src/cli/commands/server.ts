/** `berth server`: run the control plane in the foreground; `berth server stop`: stop the running one. */
import type { Command } from 'commander';
import { DEFAULT_PORT } from '../client.js';
import { contextOf } from '../context.js';
import { printData } from '../output.js';
import { UnavailableError } from '../../errors.js';
// Static, so in the CLI bundle: a Node.js without require(esm) (21, 22.0-22.11) cannot load dist/server.
import { assertSupportedNode } from '../../server/nodeVersion.js';

/** How long `berth server stop` waits for the control plane to finish its graceful stop. */
const STOP_WAIT_MS = 60_000;

interface ServerOptions {
  host: string;
  port: string;
  logLevel: string;
  quiet?: boolean;
  dataPlane?: string;
}

export function registerServer(program: Command): void {
  const server = program
    .command('server')
    .description('run the control plane (API, release engine, local runtime) in the foreground')
    .option('--host <host>', 'address to listen on (loopback by default)', process.env.BERTH_HOST ?? '127.0.0.1')
    .option('--port <port>', 'port to listen on (BERTH_PORT)', process.env.BERTH_PORT ?? String(DEFAULT_PORT))
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option('--quiet', 'log to <home>/server.log only')
    .option(
      '--data-plane <plane>',
      'what serves service addresses and edges: auto (the default: haproxy when a usable one is installed, else node), haproxy (HAProxy 2.6+, the production setup; refused when none is installed) or node (the built-in proxy, no dependency); default: BERTH_DATA_PLANE, else auto',
    )
    .addHelpText(
      'after',
      '\nOnce it listens, the control plane warms its render path in the background by rendering a built-in sample app\n(never your data; ~190 ms of CPU), so a first `berth render` is not slowed by code running for the first time.\nBERTH_RENDER_WARMUP=0 turns it off; GET /api/v1/info says where it is (docs/kubernetes.md).',
    )
    .action(async (o: ServerOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      // Before the daemon's modules load: on an unsupported Node.js they may not even import.
      assertSupportedNode();
      const { chooseDataPlane } = await import('../../gateway/dataPlaneChoice.js');
      // Before anything starts: a wrong value or a missing HAProxy asked for is an error naming it.
      const dataPlane = await chooseDataPlane({ flag: o.dataPlane, env: process.env.BERTH_DATA_PLANE });
      const { startDaemon } = await import('../../server/daemon.js');
      const daemon = await startDaemon({
        home: ctx.home,
        host: o.host,
        port: Number(o.port),
        logLevel: o.logLevel,
        logToStdout: !o.quiet,
        dataPlane,
      });
      const stop = (): void => void daemon.close();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      await daemon.closed;
      process.exit(0);
    });

  server
    .command('stop')
    .description(
      'stop the running control plane gracefully (apps keep running; the gateway stops too when no app runs, or with --gateway)',
    )
    .option('--gateway', 'also stop the gateway: every service address and edge stops answering')
    .action(async (o: { gateway?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const client = await ctx.client();
      if (!(await client.healthy())) {
        if (ctx.output !== 'table') return printData(ctx.output, { stopped: false, url: client.url });
        return void process.stdout.write(`no control plane runs at ${client.url} (data directory ${ctx.home})\n`);
      }
      const info = await client.get<{ pid: number }>('/api/v1/info');
      await client.post('/api/v1/shutdown', o.gateway ? { stopGateway: true } : {});
      const deadline = Date.now() + STOP_WAIT_MS;
      while (await client.healthy()) {
        if (Date.now() > deadline)
          throw new UnavailableError(`the control plane at ${client.url} (pid ${info.pid}) is still stopping`);
        await new Promise((r) => setTimeout(r, 100));
      }
      if (ctx.output !== 'table') return printData(ctx.output, { stopped: true, url: client.url, pid: info.pid });
      process.stdout.write(`control plane at ${client.url} (pid ${info.pid}) stopped\n`);
    });
}
