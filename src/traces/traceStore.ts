/**
 * The control plane's store of gateway spans: its own SQLite file (`<home>/traces.db`), apart from
 * berth.db, so a burst of spans never holds the write lock releases need, and a trace store can be
 * removed without touching anything else. Spans are telemetry: WAL with synchronous=NORMAL (a power
 * loss may lose the last second of spans, never corrupt the file). Retention by age and by count.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import type { GatewaySpan, StoredSpan, TraceList, TraceListQuery } from '../model/trace.js';
import { listTraces } from './traceList.js';

/** How long spans are kept by default: one day. */
export const DEFAULT_TRACE_RETENTION_MS = 24 * 60 * 60 * 1000;
/** How many spans are kept at most by default (the oldest go first): about 200 MB on disk (some 200 bytes a span). */
export const DEFAULT_TRACE_MAX_SPANS = 1_000_000;

export interface TraceStoreOptions {
  file: string;
  retentionMs?: number;
  maxSpans?: number;
}

interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_id: string | null;
  kind: string;
  edge: string | null;
  route: string | null;
  service: string | null;
  track: string | null;
  method: string;
  path: string | null;
  status: number;
  error: number;
  start_ms: number;
  duration_ms: number;
}

const schema = `
CREATE TABLE IF NOT EXISTS spans (
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_id TEXT,
  kind TEXT NOT NULL,
  edge TEXT,
  route TEXT,
  service TEXT,
  track TEXT,
  method TEXT NOT NULL,
  path TEXT,
  status INTEGER NOT NULL,
  error INTEGER NOT NULL,
  start_ms REAL NOT NULL,
  duration_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS spans_trace ON spans (trace_id);
CREATE INDEX IF NOT EXISTS spans_start ON spans (start_ms);
CREATE INDEX IF NOT EXISTS spans_service ON spans (service, start_ms);
`;

function fromRow(r: SpanRow): GatewaySpan {
  return {
    traceId: r.trace_id,
    spanId: r.span_id,
    ...(r.parent_id !== null ? { parentId: r.parent_id } : {}),
    kind: r.kind as GatewaySpan['kind'],
    ...(r.edge !== null ? { edge: r.edge } : {}),
    ...(r.route !== null ? { route: r.route } : {}),
    ...(r.service !== null ? { service: r.service } : {}),
    ...(r.track !== null ? { track: r.track as NonNullable<GatewaySpan['track']> } : {}),
    method: r.method,
    ...(r.path !== null ? { path: r.path } : {}),
    status: r.status,
    error: r.error !== 0,
    startMs: r.start_ms,
    durationMs: r.duration_ms,
  };
}

/**
 * The callers of a trace's spans: a span whose parent is a gateway span of the same trace was
 * called by that span's callee (its replica made the call, forwarding traceparent unchanged).
 */
export function withCallers(spans: readonly GatewaySpan[]): StoredSpan[] {
  const calleeOf = new Map<string, string | undefined>();
  for (const s of spans) calleeOf.set(s.spanId, s.service);
  return spans.map((s) => {
    const caller = s.parentId !== undefined ? calleeOf.get(s.parentId) : undefined;
    return caller !== undefined ? { ...s, caller } : { ...s };
  });
}

/** An open trace store. */
export class TraceStore {
  readonly file: string;
  readonly retentionMs: number;
  readonly maxSpans: number;
  private readonly db: BetterSqlite3.Database;
  private readonly insert: BetterSqlite3.Statement;
  private readonly bySpanStart: BetterSqlite3.Statement;
  private readonly insertMany: (spans: readonly GatewaySpan[]) => void;

  constructor(opts: TraceStoreOptions) {
    this.file = opts.file;
    this.retentionMs = opts.retentionMs ?? DEFAULT_TRACE_RETENTION_MS;
    this.maxSpans = opts.maxSpans ?? DEFAULT_TRACE_MAX_SPANS;
    mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
    this.db = new Sqlite(opts.file);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(schema);
    // A traces.db made before spans had a path gets the column (its spans keep none).
    const columns = this.db.prepare('PRAGMA table_info(spans)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'path')) this.db.exec('ALTER TABLE spans ADD COLUMN path TEXT');
    this.insert = this.db.prepare(
      `INSERT INTO spans (trace_id, span_id, parent_id, kind, edge, route, service, track, method, path, status, error, start_ms, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.bySpanStart = this.db.prepare('SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ms, rowid');
    this.insertMany = this.db.transaction((spans: readonly GatewaySpan[]) => {
      for (const s of spans)
        this.insert.run(
          s.traceId,
          s.spanId,
          s.parentId ?? null,
          s.kind,
          s.edge ?? null,
          s.route ?? null,
          s.service ?? null,
          s.track ?? null,
          s.method,
          s.path ?? null,
          s.status,
          s.error ? 1 : 0,
          s.startMs,
          s.durationMs,
        );
    });
  }

  /** Stores a batch of spans in one transaction. */
  add(spans: readonly GatewaySpan[]): void {
    if (spans.length > 0) this.insertMany(spans);
  }

  /** The spans of a trace by start time, with their callers; empty when none is stored. */
  trace(traceId: string): StoredSpan[] {
    return withCallers(this.spansOf(traceId));
  }

  /** The recent traces of an app and environment, newest first (src/traces/traceList.ts). */
  list(q: TraceListQuery): TraceList {
    return listTraces(this.db, q, (id) => this.spansOf(id));
  }

  private spansOf(traceId: string): GatewaySpan[] {
    return (this.bySpanStart.all(traceId) as SpanRow[]).map(fromRow);
  }

  /** Drops spans older than the retention and, beyond `maxSpans`, the oldest; returns how many went. */
  prune(nowMs = Date.now()): number {
    let removed = this.db.prepare('DELETE FROM spans WHERE start_ms < ?').run(nowMs - this.retentionMs).changes;
    const count = (this.db.prepare('SELECT count(*) AS n FROM spans').get() as { n: number }).n;
    if (count > this.maxSpans) {
      removed += this.db
        .prepare('DELETE FROM spans WHERE rowid IN (SELECT rowid FROM spans ORDER BY start_ms LIMIT ?)')
        .run(count - this.maxSpans).changes;
    }
    return removed;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
