/**
 * `berth logs APP[/SERVICE] [-f] [--previous]`: replica output with timestamps, merged by time; with
 * a search flag (`--grep`, `--level`, `--trace`, ...) a search of the log index (logSearch.ts).
 */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { dim, yamlText } from '../output.js';
import type { LogLine } from '../../model/observation.js';
import { ValidationError } from '../../errors.js';
import { envOption } from '../envOption.js';
import { checkSearchFlags, isSearch, searchLogs, type LogSearchFlags } from './logSearch.js';

interface LogsOptions extends LogSearchFlags {
  env: string;
  follow?: boolean;
  tail: string;
  replica?: string;
  since?: string;
  previous?: boolean;
}

export function registerLogs(program: Command): void {
  program
    .command('logs <target>')
    .description('logs of an app or one service (APP or APP/SERVICE)')
    .addOption(envOption())
    .option('-f, --follow', 'keep printing new lines')
    .option('--tail <n>', 'lines of history to start with', '100')
    .option('--replica <id>', 'one replica only')
    .option('--since <time>', 'only lines at or after this time: ISO 8601, or a duration ago (15m, 1h, 2d)')
    .option('--grep <text>', 'search the log index: lines containing this text (case-insensitive)')
    .option('--level <level>', 'search: lines of this level or more severe (trace, debug, info, warn, error, fatal)')
    .option('--trace <id>', 'search: lines carrying this trace id')
    .option('--stream <stream>', 'search: stdout or stderr only')
    .option('--until <time>', 'search: lines before this time (ISO 8601, or a duration ago)')
    .option('--limit <n>', 'search: at most this many lines, the newest (default 500)')
    .option(
      '-p, --previous',
      'the logs of the replicas that were replaced or stopped last (the previous version, or the run before a restart), as kubectl logs --previous',
    )
    .action(async (target: string, o: LogsOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const [app, service, extra] = target.split('/');
      if (!app || extra !== undefined || service === '')
        throw new ValidationError('invalid target', [
          { file: 'command line', path: 'target', message: `"${target}" is not APP or APP/SERVICE` },
        ]);
      if (isSearch(o)) {
        checkSearchFlags(o);
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        return searchLogs(ctx, { app, env: o.env, service }, o, stop.signal);
      }
      // A tail reads ISO times only; a duration ago is turned into one here.
      let since = o.since;
      if (since !== undefined) {
        // On demand: the search route's module brings zod, which the CLI bundle leaves out.
        const { timeOf } = await import('../../server/routes/timeRange.js');
        const ms = timeOf(since, Date.now());
        if (ms === undefined)
          throw new ValidationError('invalid options', [
            {
              file: 'command line',
              path: 'since',
              message: `"${since}" is not a time (ISO 8601) or a duration ago (15m, 1h, 2d)`,
            },
          ]);
        since = new Date(ms).toISOString();
      }
      if (o.previous && o.follow)
        throw new ValidationError('invalid options', [
          { file: 'command line', path: 'follow', message: 'the previous replicas write no more lines: drop --follow' },
        ]);
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      const client = await ctx.client();
      const lines = client.lines<LogLine & { error?: string }>(
        `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(o.env)}/logs`,
        {
          service,
          replica: o.replica,
          follow: o.follow ? 'true' : 'false',
          tail: o.tail,
          since,
          ...(o.previous ? { previous: 'true' } : {}),
        },
        abort.signal,
      );
      for await (const l of lines) {
        if (l.error) throw new Error(l.error);
        // One JSON object per line (NDJSON), or one YAML document per line: both stream as they come.
        if (ctx.output === 'json') process.stdout.write(`${JSON.stringify(l)}\n`);
        else if (ctx.output === 'yaml') process.stdout.write(`---\n${await yamlText(l)}`);
        else process.stdout.write(`${dim(l.time)} ${l.replica} ${l.stream === 'stderr' ? dim('!') : ' '} ${l.line}\n`);
      }
    });
}
