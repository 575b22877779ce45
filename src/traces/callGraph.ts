/**
 * The call graph from real traffic: the spans of a window in traces.db aggregated per caller →
 * callee, in one SQL statement. A hop's callee is its span's service; its caller is the callee of its
 * parent span when the gateway recorded that span (the replica that served it made this call and
 * forwarded `traceparent`), else OUTSIDE for a hop that entered at the edge and UNKNOWN for one at a
 * service address (the caller started a new trace). Only hops whose callee is a service of the app
 * are read: a call to another app's service shows in that app's graph, as coming from
 * `app/env/service`. Percentiles are nearest-rank over the window's durations, ranked by a window
 * function, so only one row per edge leaves SQLite.
 *
 * Cost: the window is read through the `start_ms` index, each hop's parent found through the
 * `trace_id` index, then one sort of the window's hops by edge and duration (docs/tracing.md has
 * measurements on 1,000,000 spans, bench/callgraph.mjs).
 */
import Sqlite from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { OUTSIDE, UNKNOWN, type CallEdge } from '../model/callGraph.js';

/** The calls of one app in one environment between two times (epoch ms, `sinceMs` included, `untilMs` not). */
export interface CallGraphQuery {
  app: string;
  env: string;
  sinceMs: number;
  untilMs: number;
}

interface EdgeRow {
  caller: string;
  callee: string;
  n: number;
  errors: number;
  p50: number;
  p99: number;
}

// The prefix test is substr(...) = ?, not LIKE: a name is matched exactly, `_` and `%` included.
const SQL = `
WITH hops AS (
  SELECT s.service AS callee,
         CASE
           WHEN p.span_id IS NOT NULL AND p.service IS NOT NULL THEN p.service
           WHEN s.kind = 'edge' THEN '${OUTSIDE}'
           ELSE '${UNKNOWN}'
         END AS caller,
         s.error AS error,
         s.duration_ms AS duration_ms
  FROM spans s
  LEFT JOIN spans p ON p.trace_id = s.trace_id AND p.span_id = s.parent_id
  WHERE s.start_ms >= @since AND s.start_ms < @until AND substr(s.service, 1, @prefixLength) = @prefix
),
ranked AS (
  SELECT caller, callee, error, duration_ms,
         row_number() OVER (PARTITION BY caller, callee ORDER BY duration_ms) AS rn,
         count(*) OVER (PARTITION BY caller, callee) AS n
  FROM hops
)
SELECT caller, callee, n, sum(error) AS errors,
       max(CASE WHEN rn = (n + 1) / 2 THEN duration_ms END) AS p50,
       max(CASE WHEN rn = (99 * n + 99) / 100 THEN duration_ms END) AS p99
FROM ranked
GROUP BY caller, callee
`;

/** A service key (`app/env/service`) as the graph names it: the bare name inside the app, else the key. */
function nameOf(key: string, prefix: string): string {
  return key.startsWith(prefix) ? key.slice(prefix.length) : key;
}

/** Rounds a figure for the answer (3 decimals: microseconds, or a rate of one request in 1000 s). */
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** The observed calls of an app in an environment over a window, busiest first. */
export function observedCalls(db: BetterSqlite3.Database, q: CallGraphQuery): CallEdge[] {
  const prefix = `${q.app}/${q.env}/`;
  const rows = db
    .prepare(SQL)
    .all({ since: q.sinceMs, until: q.untilMs, prefix, prefixLength: prefix.length }) as EdgeRow[];
  const seconds = (q.untilMs - q.sinceMs) / 1000;
  const edges = rows.map((r) => ({
    from: nameOf(r.caller, prefix),
    to: nameOf(r.callee, prefix),
    count: r.n,
    ratePerSec: Number((r.n / seconds).toPrecision(3)),
    errors: r.errors,
    errorRate: round3(r.errors / r.n),
    p50Ms: round3(r.p50),
    p99Ms: round3(r.p99),
  }));
  return edges.sort((a, b) => b.count - a.count || cmp(a.from, b.from) || cmp(a.to, b.to));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `observedCalls` over a trace store's file, through a read-only connection of its own (WAL: it
 * never waits for the collector's writes, nor they for it), closed when done.
 */
export function readObservedCalls(file: string, q: CallGraphQuery): CallEdge[] {
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return observedCalls(db, q);
  } finally {
    db.close();
  }
}
