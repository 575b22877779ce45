/** `berth server`: run the control plane in the foreground. */
import type { Command } from 'commander';
import { DEFAULT_PORT } from '../client.js';
import { contextOf } from '../context.js';

interface ServerOptions {
  host: string;
  port: string;
  logLevel: string;
  quiet?: boolean;
  dataPlane?: string;
}

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run the control plane (API, release engine, local runtime) in the foreground')
    .option('--host <host>', 'address to listen on (loopback by default)', process.env.BERTH_HOST ?? '127.0.0.1')
    .option('--port <port>', 'port to listen on (BERTH_PORT)', process.env.BERTH_PORT ?? String(DEFAULT_PORT))
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option('--quiet', 'log to <home>/server.log only')
    .option(
      '--data-plane <plane>',
      'what serves service addresses and edges: node (the gateway itself) or haproxy (default: BERTH_DATA_PLANE, else node)',
    )
    .action(async (o: ServerOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { parseDataPlane } = await import('../../gateway/control.js');
      // Named by where it came from, so an error points at what the user set.
      const dataPlane =
        o.dataPlane === undefined
          ? parseDataPlane(process.env.BERTH_DATA_PLANE, 'BERTH_DATA_PLANE')
          : parseDataPlane(o.dataPlane, '--data-plane');
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
}
