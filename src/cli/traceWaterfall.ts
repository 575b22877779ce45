/**
 * `berth trace ID` as people read it: a text waterfall of a trace's gateway spans, each nested under
 * its parent (two spaces a level), with caller, route, track, status, offset from the trace's first
 * span, duration and a bar placed on the trace's time axis.
 */
import type { TraceView } from '../model/trace.js';
import { spanTree } from '../model/traceTree.js';

const BAR_WIDTH = 30;

export { spanTree };

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`;
}

/** The waterfall's rows for printTable. */
export function waterfallRows(view: TraceView): Record<string, unknown>[] {
  const spans = view.spans;
  if (spans.length === 0) return [];
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const total = Math.max(...spans.map((s) => s.startMs + s.durationMs)) - t0 || 1;
  return spanTree(spans).map(({ span: s, depth }) => {
    const from = Math.min(BAR_WIDTH - 1, Math.floor(((s.startMs - t0) / total) * BAR_WIDTH));
    const width = Math.max(1, Math.round((s.durationMs / total) * BAR_WIDTH));
    return {
      service: `${'  '.repeat(depth)}${s.service ?? '?'}`,
      caller: s.kind === 'edge' ? `edge ${s.edge ?? ''}`.trim() : (s.caller ?? '-'),
      route: s.kind === 'edge' ? `${s.method} ${s.route ?? ''}`.trim() : s.method,
      track: s.track,
      status: s.status === 0 ? 'client gone' : String(s.status),
      offset: ms(s.startMs - t0),
      duration: ms(s.durationMs),
      '': `${' '.repeat(from)}${'█'.repeat(Math.min(width, BAR_WIDTH - from))}`,
    };
  });
}

export const WATERFALL_COLUMNS = ['service', 'caller', 'route', 'track', 'status', 'offset', 'duration', ''];

/** The line above the waterfall: trace id, span count, whole duration, errors. */
export function waterfallHead(view: TraceView): string {
  const spans = view.spans;
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const total = Math.max(...spans.map((s) => s.startMs + s.durationMs)) - t0;
  const errors = spans.filter((s) => s.error).length;
  const when = new Date(t0).toISOString();
  return `trace ${view.traceId}: ${spans.length} span${spans.length === 1 ? '' : 's'}, ${ms(total)}, started ${when}${errors > 0 ? `, ${errors} failed` : ''}`;
}
