/** `berth logs APP[/SERVICE] [-f]`: replica output with timestamps, merged by time. */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { dim } from '../output.js';
import type { LogLine } from '../../runtime/runtime.js';

export function registerLogs(program: Command): void {
  program
    .command('logs <target>')
    .description('logs of an app or one service (APP or APP/SERVICE)')
    .option('-e, --env <env>', 'environment', process.env.BERTH_ENV ?? 'local')
    .option('-f, --follow', 'keep printing new lines')
    .option('--tail <n>', 'lines of history to start with', '100')
    .option('--replica <id>', 'one replica only')
    .option('--since <iso>', 'only lines at or after this time (ISO 8601)')
    .action(
      async (
        target: string,
        o: { env: string; follow?: boolean; tail: string; replica?: string; since?: string },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const [app, service] = target.split('/');
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        const client = await ctx.client();
        const lines = client.lines<LogLine & { error?: string }>(
          `/api/v1/apps/${encodeURIComponent(app!)}/envs/${encodeURIComponent(o.env)}/logs`,
          { service, replica: o.replica, follow: o.follow ? 'true' : 'false', tail: o.tail, since: o.since },
          abort.signal,
        );
        for await (const l of lines) {
          if (l.error) throw new Error(l.error);
          if (ctx.output === 'json') process.stdout.write(`${JSON.stringify(l)}\n`);
          else
            process.stdout.write(`${dim(l.time)} ${l.replica} ${l.stream === 'stderr' ? dim('!') : ' '} ${l.line}\n`);
        }
      },
    );
}
