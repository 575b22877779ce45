/**
 * The log index: a SQLite file of its own (`<home>/logindex.db`, not the main store, so log volume
 * never slows a release's writes), one table of lines and an FTS5 trigram index over their raw text
 * (substring search, case-insensitive, as `grep -i -F`). Lines come in batches, each one
 * transaction together with the read positions of the files they came from, so a restart neither
 * loses nor repeats a line.
 */
import Sqlite from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { chmodSync } from 'node:fs';
import { parseLine } from './parseLine.js';
import { LOG_LEVELS, type FoundLogLine, type LogSearchQuery, type LogSearchResult } from '../model/logSearch.js';
import { isoMicros } from '../model/logTime.js';

/** One line to index, as a replica printed it. */
export interface IncomingLine {
  /** Milliseconds since the epoch, the microseconds as its fraction (recordTimeMs). */
  timeMs: number;
  app: string;
  env: string;
  service: string;
  replica: string;
  stream: 'stdout' | 'stderr';
  raw: string;
}

/** How far a log file has been indexed: the file by its inode and first line, the bytes read. */
export interface FileCursor {
  /** `<dev>:<inode>`: the same file under any name (rotation and archiving only rename). */
  fileId: string;
  /** The file's first line: an inode the filesystem reused for a new file is not taken for the old one. */
  fingerprint: string;
  /** Bytes of complete lines indexed. */
  offset: number;
}

/**
 * How far a pod's log has been indexed (Kubernetes): the newest line's timestamp as the kubelet
 * wrote it (normalized to nanoseconds, so it sorts as text) and how many lines of exactly that
 * timestamp were indexed — the log endpoint resumes from a whole second (`sinceTime`), and these
 * two skip what was already taken.
 */
export interface PodCursor {
  /** `<namespace>/<pod>/<container>`. */
  podKey: string;
  /** The pod's uid: a new pod under an old name starts afresh. */
  uid: string;
  /** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`. */
  time: string;
  /** Lines with exactly `time` indexed. */
  sameTime: number;
}

export interface LogIndex {
  /** Indexes lines and moves file and pod cursors in one transaction. */
  append(lines: readonly IncomingLine[], cursors: readonly FileCursor[], podCursors?: readonly PodCursor[]): void;
  /** Every pod cursor, by pod key. */
  podCursors(): Map<string, PodCursor>;
  /** Forgets the cursors of pods that are gone. */
  dropPodCursors(podKeys: readonly string[]): void;
  /** Every file cursor, by file id. */
  cursors(): Map<string, FileCursor>;
  /** Forgets the cursors of files that no longer exist. */
  dropCursors(fileIds: readonly string[]): void;
  search(q: LogSearchQuery): LogSearchResult;
  /** Environments that have lines. */
  environments(): string[];
  /** Deletes an environment's lines older than `beforeMs`, then its oldest beyond `maxBytes`; answers how many went. */
  prune(env: string, opts: { beforeMs: number; maxBytes: number }): number;
  /** Lines and bytes of raw text indexed for an environment. */
  usage(env: string): { lines: number; bytes: number };
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS lines (
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  app TEXT NOT NULL,
  env TEXT NOT NULL,
  service TEXT NOT NULL,
  replica TEXT NOT NULL,
  stream TEXT NOT NULL,
  level INTEGER,
  message TEXT,
  trace_id TEXT,
  raw TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lines_app_time ON lines (app, env, time_ms);
CREATE INDEX IF NOT EXISTS lines_env_time ON lines (env, time_ms);
CREATE INDEX IF NOT EXISTS lines_trace ON lines (trace_id) WHERE trace_id IS NOT NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS lines_fts USING fts5(raw, content='lines', content_rowid='id', tokenize='trigram');
CREATE TRIGGER IF NOT EXISTS lines_ai AFTER INSERT ON lines BEGIN
  INSERT INTO lines_fts (rowid, raw) VALUES (new.id, new.raw);
END;
CREATE TRIGGER IF NOT EXISTS lines_ad AFTER DELETE ON lines BEGIN
  INSERT INTO lines_fts (lines_fts, rowid, raw) VALUES ('delete', old.id, old.raw);
END;
CREATE TABLE IF NOT EXISTS file_cursors (
  file_id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  offset INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pod_cursors (
  pod_key TEXT PRIMARY KEY,
  uid TEXT NOT NULL,
  time TEXT NOT NULL,
  same_time INTEGER NOT NULL
);
`;

interface LineRow {
  id: number;
  time_ms: number;
  service: string;
  replica: string;
  stream: 'stdout' | 'stderr';
  level: number | null;
  message: string | null;
  trace_id: string | null;
  raw: string;
}

/** Opens (creating) the index file. */
export function openLogIndex(file: string): LogIndex {
  const db = new Sqlite(file);
  chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  // A crash may lose the last batch's commit, never corrupt the file; the cursor is in the same
  // transaction, so a lost batch is read again.
  db.pragma('synchronous = NORMAL');
  // 64 MiB of page cache: the indexes a batch touches stay in memory as the file grows.
  db.pragma('cache_size = -65536');
  db.exec(SCHEMA);
  const insert = db.prepare(
    `INSERT INTO lines (time_ms, app, env, service, replica, stream, level, message, trace_id, raw)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const putCursor = db.prepare(
    `INSERT INTO file_cursors (file_id, fingerprint, offset) VALUES (?, ?, ?)
     ON CONFLICT (file_id) DO UPDATE SET fingerprint = excluded.fingerprint, offset = excluded.offset`,
  );
  const dropCursor = db.prepare('DELETE FROM file_cursors WHERE file_id = ?');
  const putPodCursor = db.prepare(
    `INSERT INTO pod_cursors (pod_key, uid, time, same_time) VALUES (?, ?, ?, ?)
     ON CONFLICT (pod_key) DO UPDATE SET uid = excluded.uid, time = excluded.time, same_time = excluded.same_time`,
  );
  const dropPodCursor = db.prepare('DELETE FROM pod_cursors WHERE pod_key = ?');
  const append = db.transaction(
    (lines: readonly IncomingLine[], cursors: readonly FileCursor[], podCursors: readonly PodCursor[]) => {
      for (const l of lines) {
        const p = parseLine(l.raw);
        insert.run(
          l.timeMs,
          l.app,
          l.env,
          l.service,
          l.replica,
          l.stream,
          p.level ? LOG_LEVELS.indexOf(p.level) : null,
          p.message ?? null,
          p.traceId ?? null,
          l.raw,
        );
      }
      for (const c of cursors) putCursor.run(c.fileId, c.fingerprint, c.offset);
      for (const c of podCursors) putPodCursor.run(c.podKey, c.uid, c.time, c.sameTime);
    },
  );
  return {
    append: (lines, cursors, podCursors = []) => append(lines, cursors, podCursors),
    podCursors() {
      const rows = db.prepare('SELECT pod_key, uid, time, same_time FROM pod_cursors').all() as {
        pod_key: string;
        uid: string;
        time: string;
        same_time: number;
      }[];
      return new Map(
        rows.map((r) => [r.pod_key, { podKey: r.pod_key, uid: r.uid, time: r.time, sameTime: r.same_time }]),
      );
    },
    dropPodCursors: db.transaction((keys: readonly string[]) => {
      for (const k of keys) dropPodCursor.run(k);
    }),
    cursors() {
      const rows = db.prepare('SELECT file_id, fingerprint, offset FROM file_cursors').all() as {
        file_id: string;
        fingerprint: string;
        offset: number;
      }[];
      return new Map(rows.map((r) => [r.file_id, { fileId: r.file_id, fingerprint: r.fingerprint, offset: r.offset }]));
    },
    dropCursors: db.transaction((ids: readonly string[]) => {
      for (const id of ids) dropCursor.run(id);
    }),
    search: (q) => search(db, q),
    environments: () => (db.prepare('SELECT DISTINCT env FROM lines').all() as { env: string }[]).map((r) => r.env),
    prune: (env, opts) => prune(db, env, opts),
    usage(env) {
      const r = db
        .prepare(
          'SELECT COUNT(*) AS lines, COALESCE(SUM(LENGTH(CAST(raw AS BLOB))), 0) AS bytes FROM lines WHERE env = ?',
        )
        .get(env) as { lines: number; bytes: number };
      return r;
    },
    close: () => db.close(),
  };
}

/** An FTS5 phrase: the text as one quoted string, so operators in it are only text. */
function phrase(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

function search(db: BetterSqlite3.Database, q: LogSearchQuery): LogSearchResult {
  // The most selective condition drives the query: the text index, then the trace id's index,
  // else the (app, env, time) index. A unary + keeps SQLite from walking the time index instead
  // of the trace index when it guesses wrong about how many rows a trace has.
  const text = q.text !== undefined && q.text !== '' ? q.text : undefined;
  const fts = text !== undefined && [...text].length >= 3;
  const byTrace = !fts && q.traceId !== undefined;
  const col = (name: string): string => (byTrace ? `+l.${name}` : `l.${name}`);
  const where = [`${col('app')} = ?`, `${col('env')} = ?`];
  const args: (string | number)[] = [q.app, q.env];
  const add = (sql: string, ...values: (string | number)[]): void => {
    where.push(sql);
    args.push(...values);
  };
  if (q.service !== undefined) add('l.service = ?', q.service);
  if (q.replica !== undefined) add('l.replica = ?', q.replica);
  if (q.stream !== undefined) add('l.stream = ?', q.stream);
  if (q.level !== undefined) add('l.level >= ?', LOG_LEVELS.indexOf(q.level));
  if (q.traceId !== undefined) add('l.trace_id = ?', q.traceId.toLowerCase());
  if (q.sinceMs !== undefined) add(`${col('time_ms')} >= ?`, q.sinceMs);
  if (q.untilMs !== undefined) add(`${col('time_ms')} < ?`, q.untilMs);
  if (q.afterId !== undefined) add('l.id > ?', q.afterId);
  let from = 'lines l';
  if (fts) {
    // The trigram index answers three characters and more (a phrase: FTS5 operators in it are text).
    from = 'lines_fts f CROSS JOIN lines l ON l.id = f.rowid';
    add('lines_fts MATCH ?', phrase(text));
  } else if (text !== undefined) {
    // Shorter text is a scan of the rows the other conditions leave (LIKE is case-insensitive for
    // ASCII, as the index is).
    add("l.raw LIKE ? ESCAPE '\\'", `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  const rows = db
    .prepare(
      `SELECT l.id, l.time_ms, l.service, l.replica, l.stream, l.level, l.message, l.trace_id, l.raw FROM ${from}
       WHERE ${where.join(' AND ')} ORDER BY ${q.afterId !== undefined ? 'l.id' : 'l.time_ms DESC, l.id DESC'} LIMIT ?`,
    )
    .all(...args, q.limit + 1) as LineRow[];
  const truncated = rows.length > q.limit;
  const kept = rows.slice(0, q.limit);
  return { lines: (q.afterId !== undefined ? kept : kept.reverse()).map(foundLine), truncated };
}

function foundLine(r: LineRow): FoundLogLine {
  return {
    id: r.id,
    time: isoMicros(r.time_ms),
    service: r.service,
    replica: r.replica,
    stream: r.stream,
    ...(r.level !== null ? { level: LOG_LEVELS[r.level]! } : {}),
    ...(r.message !== null ? { message: r.message } : {}),
    ...(r.trace_id !== null ? { traceId: r.trace_id } : {}),
    line: r.raw,
  };
}

function prune(db: BetterSqlite3.Database, env: string, opts: { beforeMs: number; maxBytes: number }): number {
  return db.transaction(() => {
    let n = db.prepare('DELETE FROM lines WHERE env = ? AND time_ms < ?').run(env, opts.beforeMs).changes;
    // The newest lines whose bytes add up to maxBytes stay; the first line past that, and every older one, go.
    const cut = db
      .prepare(
        `SELECT time_ms, id FROM (
           SELECT time_ms, id, SUM(LENGTH(CAST(raw AS BLOB))) OVER (ORDER BY time_ms DESC, id DESC) AS total
           FROM lines WHERE env = ?)
         WHERE total > ? LIMIT 1`,
      )
      .get(env, opts.maxBytes) as { time_ms: number; id: number } | undefined;
    if (cut)
      n += db
        .prepare('DELETE FROM lines WHERE env = ? AND (time_ms < ? OR (time_ms = ? AND id <= ?))')
        .run(env, cut.time_ms, cut.time_ms, cut.id).changes;
    return n;
  })();
}
