/**
 * `berth trace ID` as people read it: a text waterfall of a trace's gateway spans, each nested under
 * its parent (two spaces a level), with caller, route, track, status, offset from the trace's first
 * span, duration and a bar placed on the trace's time axis.
 */
import type { StoredSpan, TraceView } from '../model/trace.js';

const BAR_WIDTH = 30;

/** Spans in tree order (a parent before its children, siblings by start) with their depth. */
export function spanTree(spans: readonly StoredSpan[]): { span: StoredSpan; depth: number }[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map<string, StoredSpan[]>();
  const roots: StoredSpan[] = [];
  for (const s of spans) {
    if (s.parentId !== undefined && byId.has(s.parentId) && s.parentId !== s.spanId) {
      const list = children.get(s.parentId) ?? [];
      list.push(s);
      children.set(s.parentId, list);
    } else roots.push(s);
  }
  const byStart = (a: StoredSpan, b: StoredSpan): number => a.startMs - b.startMs;
  const out: { span: StoredSpan; depth: number }[] = [];
  const seen = new Set<string>();
  const walk = (s: StoredSpan, depth: number): void => {
    if (seen.has(s.spanId)) return; // a span id repeated by a broken client: shown once
    seen.add(s.spanId);
    out.push({ span: s, depth });
    for (const c of (children.get(s.spanId) ?? []).sort(byStart)) walk(c, depth + 1);
  };
  for (const r of roots.sort(byStart)) walk(r, 0);
  return out;
}

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
