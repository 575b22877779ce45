/**
 * `berth trace ID`: the spans of one trace the gateway recorded, as a waterfall; `berth traces
 * APP[/SERVICE]`: the app's recent traces, newest first (`-o json|yaml`: the data).
 */
import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import type { TraceList, TraceSummary, TraceView } from '../../model/trace.js';
import { contextOf } from '../context.js';
import { envOption } from '../envOption.js';
import { printData, printTable } from '../output.js';
import { WATERFALL_COLUMNS, waterfallHead, waterfallRows } from '../traceWaterfall.js';

export function registerTrace(program: Command): void {
  program
    .command('trace <traceId>')
    .description(
      'one trace through the gateway: a span per hop (edge or service address), nested by parent, with caller, route, track, status, offset and duration; the id is the X-Berth-Trace-Id a service received (32 hex digits)',
    )
    .action(async (traceId: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (!/^[0-9a-fA-F]{32}$/.test(traceId))
        throw new ValidationError('invalid trace id', [
          {
            file: 'command line',
            path: 'traceId',
            message: `"${traceId}" is not 32 hex digits (the trace id of traceparent or X-Berth-Trace-Id)`,
          },
        ]);
      const view = await (await ctx.client()).get<TraceView>(`/api/v1/traces/${traceId.toLowerCase()}`);
      if (ctx.output !== 'table') return printData(ctx.output, view);
      process.stdout.write(`${waterfallHead(view)}\n`);
      printTable(waterfallRows(view), WATERFALL_COLUMNS);
    });
}

/** `250`, `250ms`, `1.5s`, `2m` as milliseconds; undefined when it is none of these. */
export function durationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1);
}

function shortMs(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`;
}

/** A trace list's row: where it entered, what it reached, how long, how it ended. */
export function traceRow(t: TraceSummary, app: string, env: string): Record<string, unknown> {
  const own = `${app}/${env}/`;
  const short = (key: string): string => (key.startsWith(own) ? key.slice(own.length) : key);
  const r = t.root;
  const entry = r.kind === 'edge' ? `${r.method} ${r.route ?? '(no route)'}` : `${r.method} ${short(r.service ?? '-')}`;
  return {
    trace: t.traceId,
    started: new Date(t.startMs).toISOString(),
    root: entry,
    services: t.services.map(short).join(',') || '-',
    spans: t.spans,
    duration: shortMs(t.durationMs),
    status: `${r.status || '-'}${t.error ? ' error' : ''}`,
  };
}

interface TracesOptions {
  env: string;
  errors?: boolean;
  minDuration?: string;
  since?: string;
  limit?: string;
}

export function registerTraces(program: Command): void {
  program
    .command('traces <target>')
    .description(
      "an app's recent traces through the gateway (APP or APP/SERVICE), newest first: where each entered, the services it reached, spans, duration, status; then berth trace ID",
    )
    .addOption(envOption())
    .option('--errors', 'only traces with a failed span (a 5xx, a gateway failure, a response cut short)')
    .option('--min-duration <d>', 'only traces that took at least this long (250ms, 1.5s, 2m; a number is ms)')
    .option('--since <time>', 'only traces from this time: ISO 8601, or a duration ago (15m, 1h, 2d); default 1h')
    .option('--limit <n>', 'at most this many traces, the newest (default 50, at most 500)')
    .action(async (target: string, o: TracesOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const [app, service, extra] = target.split('/');
      const problems: { file: string; path: string; message: string }[] = [];
      if (!app || extra !== undefined || service === '')
        problems.push({ file: 'command line', path: 'target', message: `"${target}" is not APP or APP/SERVICE` });
      const minMs = o.minDuration !== undefined ? durationMs(o.minDuration) : undefined;
      if (o.minDuration !== undefined && minMs === undefined)
        problems.push({
          file: 'command line',
          path: 'min-duration',
          message: `"${o.minDuration}" is not a duration (250ms, 1.5s, 2m)`,
        });
      if (problems.length > 0) throw new ValidationError('invalid options', problems);
      const path = `/api/v1/apps/${encodeURIComponent(app!)}/envs/${encodeURIComponent(o.env)}/traces`;
      const list = await (
        await ctx.client()
      ).get<TraceList>(path, {
        service,
        errors: o.errors ? 'true' : undefined,
        minMs: minMs !== undefined ? String(minMs) : undefined,
        since: o.since,
        limit: o.limit,
      });
      if (ctx.output !== 'table') return printData(ctx.output, list);
      if (list.traces.length === 0) {
        process.stderr.write(`no traces of ${target} in ${o.env} match (since ${o.since ?? '1h'})\n`);
        return;
      }
      printTable(
        list.traces.map((t) => traceRow(t, app!, o.env)),
        ['trace', 'started', 'root', 'services', 'spans', 'duration', 'status'],
      );
      if (list.truncated)
        process.stderr.write(
          `older traces left out (newest ${list.traces.length} shown): narrow the query or raise --limit\n`,
        );
    });
}
