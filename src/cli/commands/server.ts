/** `berth server`: run the control plane in the foreground. */
import type { Command } from 'commander';
import { DEFAULT_PORT } from '../client.js';
import { contextOf } from '../context.js';

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run the control plane (API, release engine, local runtime) in the foreground')
    .option('--host <host>', 'address to listen on (loopback by default)', process.env.BERTH_HOST ?? '127.0.0.1')
    .option('--port <port>', 'port to listen on (BERTH_PORT)', process.env.BERTH_PORT ?? String(DEFAULT_PORT))
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option('--quiet', 'log to <home>/server.log only')
    .action(async (o: { host: string; port: string; logLevel: string; quiet?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { startDaemon } = await import('../../server/daemon.js');
      const daemon = await startDaemon({
        home: ctx.home,
        host: o.host,
        port: Number(o.port),
        logLevel: o.logLevel,
        logToStdout: !o.quiet,
      });
      const stop = (): void => void daemon.close();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      await daemon.closed;
      process.exit(0);
    });
}
