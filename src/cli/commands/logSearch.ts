/**
 * `berth logs APP[/SERVICE] --grep TEXT --level error --trace ID --since 1h`: a search of the log
 * index instead of a tail (the search flags choose it), printed oldest first with the text found
 * in bold, or the API's answer with `-o json|yaml`; with `-f` it then prints each new matching line once.
 */
import { ValidationError } from '../../errors.js';
import type { LogSearchResult } from '../../model/logSearch.js';
import type { CliContext } from '../context.js';
import { bold, dim, printData, yamlText } from '../output.js';

/** The flags of `berth logs` a search reads. */
export interface LogSearchFlags {
  grep?: string;
  level?: string;
  trace?: string;
  stream?: string;
  until?: string;
  limit?: string;
}

/** Whether the flags ask for a search rather than a tail. */
export function isSearch(o: LogSearchFlags): boolean {
  return [o.grep, o.level, o.trace, o.stream, o.until, o.limit].some((v) => v !== undefined);
}

/** Flags a search cannot take with it, named. */
export function checkSearchFlags(o: LogSearchFlags & { follow?: boolean; previous?: boolean }): void {
  const problems: { file: string; path: string; message: string }[] = [];
  if (o.follow && o.until !== undefined)
    problems.push({ file: 'command line', path: 'until', message: 'a follow has no end: drop --until or --follow' });
  if (o.previous)
    problems.push({
      file: 'command line',
      path: 'previous',
      message: 'a search covers the ended runs already (the index keeps them): drop --previous',
    });
  if (problems.length > 0) throw new ValidationError('invalid options', problems);
}

/** How often a follow asks for new matching lines. */
const FOLLOW_POLL_MS = 500;

export async function searchLogs(
  ctx: CliContext,
  target: { app: string; env: string; service?: string | undefined },
  o: LogSearchFlags & { replica?: string; since?: string; follow?: boolean },
  signal?: AbortSignal,
): Promise<void> {
  const client = await ctx.client();
  const path = `/api/v1/apps/${encodeURIComponent(target.app)}/envs/${encodeURIComponent(target.env)}/logs/search`;
  const query = {
    q: o.grep,
    service: target.service,
    replica: o.replica,
    stream: o.stream,
    level: o.level,
    trace: o.trace,
    since: o.since,
    until: o.until,
  };
  const result = await client.get<LogSearchResult>(path, { ...query, limit: o.limit });
  if (!o.follow && ctx.output !== 'table') return printData(ctx.output, result);
  await print(ctx, result.lines, o.grep);
  if (result.truncated)
    process.stderr.write(
      `older matching lines left out (newest ${result.lines.length} shown): narrow the search or raise --limit\n`,
    );
  if (!o.follow) return;
  // Then every matching line indexed after the last one shown, once each, until Ctrl-C.
  let after = Math.max(0, ...result.lines.map((l) => l.id));
  while (!signal?.aborted) {
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    if (signal?.aborted) break;
    const next = await client.get<LogSearchResult>(path, { ...query, after: String(after), limit: '1000' });
    await print(ctx, next.lines, o.grep);
    after = Math.max(after, ...next.lines.map((l) => l.id));
  }
}

/** Lines for people, or (following) one JSON object or YAML document per line, as `berth logs -f` streams them. */
async function print(ctx: CliContext, lines: LogSearchResult['lines'], grep: string | undefined): Promise<void> {
  for (const l of lines) {
    if (ctx.output === 'json') process.stdout.write(`${JSON.stringify(l)}\n`);
    else if (ctx.output === 'yaml') process.stdout.write(`---\n${await yamlText(l)}`);
    else {
      const level = l.level ? `${l.level.toUpperCase().padEnd(5)} ` : '';
      process.stdout.write(
        `${dim(l.time)} ${l.replica} ${l.stream === 'stderr' ? dim('!') : ' '} ${level}${highlight(l.line, grep)}\n`,
      );
    }
  }
}

/** The line with every case-insensitive occurrence of `text` in bold. */
function highlight(line: string, text: string | undefined): string {
  const lower = line.toLowerCase();
  // Case folding that changes a length (rare letters) would misplace the marks: leave the line plain.
  if (!text || lower.length !== line.length) return line;
  const needle = text.toLowerCase();
  let out = '';
  let at = 0;
  for (let i = lower.indexOf(needle); i >= 0 && needle !== ''; i = lower.indexOf(needle, at)) {
    out += line.slice(at, i) + bold(line.slice(i, i + needle.length));
    at = i + needle.length;
  }
  return out + line.slice(at);
}
