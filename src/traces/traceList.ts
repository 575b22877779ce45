/**
 * The recent traces of an app and environment (`TraceStore.list`): newest first, each summed up
 * from its spans, filtered by service, failure and duration. The app's traces in the time range
 * are found through the (service, start) index, newest first; each one's spans are then read
 * through the trace index until `limit` traces matched or `MAX_EXAMINED` were looked at.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { GatewaySpan, TraceList, TraceListQuery, TraceSummary } from '../model/trace.js';

/** Traces looked at in one list at most: a filter that matches little answers `truncated` rather than reading the whole store. */
export const MAX_EXAMINED = 20_000;

/** Summarises a trace's spans, ordered by start. */
export function summarise(traceId: string, spans: readonly GatewaySpan[]): TraceSummary {
  const root = spans[0]!;
  let end = root.startMs + root.durationMs;
  const services: string[] = [];
  let error = false;
  for (const s of spans) {
    end = Math.max(end, s.startMs + s.durationMs);
    if (s.service !== undefined && !services.includes(s.service)) services.push(s.service);
    error ||= s.error;
  }
  return {
    traceId,
    startMs: root.startMs,
    durationMs: end - root.startMs,
    spans: spans.length,
    services,
    error,
    root: {
      kind: root.kind,
      ...(root.edge !== undefined ? { edge: root.edge } : {}),
      ...(root.route !== undefined ? { route: root.route } : {}),
      ...(root.service !== undefined ? { service: root.service } : {}),
      method: root.method,
      status: root.status,
      error: root.error,
    },
  };
}

/** Lists traces of `q.app`/`q.env` from `db`, reading a trace's spans with `spansOf`. */
export function listTraces(
  db: BetterSqlite3.Database,
  q: TraceListQuery,
  spansOf: (traceId: string) => GatewaySpan[],
): TraceList {
  const prefix = `${q.app}/${q.env}/`;
  // Spans of the app's services ('app/env/' up to 'app/env0': '0' follows '/'), and edge answers no
  // service gave; a trace by its newest such span, newest first.
  const candidates = (
    q.service !== undefined
      ? db
          .prepare(
            `SELECT trace_id, max(start_ms) AS last FROM spans WHERE service = ? AND start_ms >= ?
             GROUP BY trace_id ORDER BY last DESC LIMIT ?`,
          )
          .all(prefix + q.service, q.sinceMs, MAX_EXAMINED + 1)
      : db
          .prepare(
            `SELECT trace_id, max(start_ms) AS last FROM (
               SELECT trace_id, start_ms FROM spans WHERE service >= ? AND service < ? AND start_ms >= ?
               UNION ALL
               SELECT trace_id, start_ms FROM spans WHERE edge = ? AND service IS NULL AND start_ms >= ?
             ) GROUP BY trace_id ORDER BY last DESC LIMIT ?`,
          )
          .all(prefix, `${q.app}/${q.env}0`, q.sinceMs, `${q.app}/${q.env}`, q.sinceMs, MAX_EXAMINED + 1)
  ) as { trace_id: string }[];
  const traces: TraceSummary[] = [];
  let truncated = candidates.length > MAX_EXAMINED;
  for (const [i, { trace_id: id }] of candidates.entries()) {
    if (traces.length === q.limit || i === MAX_EXAMINED) {
      truncated = true;
      break;
    }
    const spans = spansOf(id);
    if (spans.length === 0) continue;
    const t = summarise(id, spans);
    if (q.errors && !t.error) continue;
    if (q.minMs !== undefined && t.durationMs < q.minMs) continue;
    traces.push(t);
  }
  traces.sort((a, b) => b.startMs - a.startMs);
  return { traces, truncated };
}
