/** `berth logs APP[/SERVICE] [-f] [--previous]`: replica output with timestamps, merged by time. */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { dim, yamlText } from '../output.js';
import type { LogLine } from '../../model/observation.js';
import { ValidationError } from '../../errors.js';
import { envOption } from '../envOption.js';

interface LogsOptions {
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
    .option('--since <iso>', 'only lines at or after this time (ISO 8601)')
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
          since: o.since,
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
