/**
 * The control plane's metric history: its own SQLite file (`<home>/metrics.db`), apart from berth.db
 * like traces.db, WAL with synchronous=NORMAL (telemetry: a power loss may lose the last samples,
 * never corrupt the file).
 *
 * Layout: `series` names each time series once (app, env, service, track, route) with an integer id;
 * each sample is one row per series, keyed (series, t) in WITHOUT ROWID tables, so a row holds only
 * integers, a REAL and, for traffic, the step's latency histogram as varints (histogram.ts). Two
 * resolutions of each kind: raw samples (one per sampler interval) and one-minute rollups, each with
 * its own retention. A tick's samples go in one transaction; retention deletes a bounded number of
 * rows per call.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import type { MetricResolution } from '../model/metricHistory.js';
import { addCounts, decodeCounts, encodeCounts } from './histogram.js';

/** Raw samples are kept a day by default. */
export const DEFAULT_RAW_RETENTION_MS = 24 * 60 * 60 * 1000;
/** One-minute rollups are kept 30 days by default. */
export const DEFAULT_ROLLUP_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
export const MINUTE_MS = 60_000;

/** What a series measures: a service's (track's, route's) requests, or its replicas. */
export type SeriesKind = 'traffic' | 'replicas';

/** Names one series; `track` and `route` are '' when the series has none (replicas; a service address). */
export interface SeriesKey {
  app: string;
  env: string;
  service: string;
  track: string;
  route: string;
}

export interface SeriesRow extends SeriesKey {
  id: number;
  kind: SeriesKind;
  /** The latency buckets' upper bounds (ms) of a traffic series. */
  bounds: number[];
  /** The last cumulative counters seen (the sampler's cursor), as it saved them. */
  last: string | null;
}

/** One step of a traffic series: what happened since the previous sample. */
export interface TrafficSample {
  key: SeriesKey;
  requests: number;
  errors: number;
  /** Summed latency (ms); kept rounded to the millisecond. */
  sumMs: number;
  /** Requests per latency bucket (the overflow last). */
  counts: number[];
  bounds: readonly number[];
  /** The cumulative counters this delta was taken from, saved with the sample. */
  cursor?: string;
}

/** One sample of a service's replicas. */
export interface ReplicaSample {
  key: SeriesKey;
  /** Percent of one core, summed over replicas; undefined when the runtime does not measure it. */
  cpu?: number;
  memory?: number;
  /** Restarts since the previous sample. */
  restarts: number;
  ready: number;
  desired: number;
}

export interface TrafficRow {
  series: number;
  t: number;
  requests: number;
  errors: number;
  sumMs: number;
  counts: number[];
}

export interface ReplicaRow {
  series: number;
  t: number;
  cpu: number | null;
  memory: number | null;
  restarts: number;
  ready: number;
  desired: number;
}

export interface MetricStoreOptions {
  file: string;
  rawRetentionMs?: number;
  rollupRetentionMs?: number;
}

const schema = `
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  kind INTEGER NOT NULL,
  app TEXT NOT NULL,
  env TEXT NOT NULL,
  service TEXT NOT NULL,
  track TEXT NOT NULL,
  route TEXT NOT NULL,
  bounds TEXT,
  last TEXT,
  UNIQUE (app, env, kind, service, track, route)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;
const trafficTable = (name: string): string =>
  `CREATE TABLE IF NOT EXISTS ${name} (series INTEGER NOT NULL, t INTEGER NOT NULL, requests INTEGER NOT NULL,
   errors INTEGER NOT NULL, sum_ms INTEGER NOT NULL, hist BLOB, PRIMARY KEY (series, t)) WITHOUT ROWID;`;
const replicaTable = (name: string): string =>
  `CREATE TABLE IF NOT EXISTS ${name} (series INTEGER NOT NULL, t INTEGER NOT NULL, cpu REAL, memory INTEGER,
   restarts INTEGER NOT NULL, ready REAL NOT NULL, desired REAL NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID;`;

const KIND_CODE: Record<SeriesKind, number> = { traffic: 0, replicas: 1 };
const TABLES = {
  traffic: { raw: 'traffic_raw', '1m': 'traffic_1m' },
  replicas: { raw: 'replicas_raw', '1m': 'replicas_1m' },
} as const;

const keyText = (kind: SeriesKind, k: SeriesKey): string =>
  JSON.stringify([kind, k.app, k.env, k.service, k.track, k.route]);

interface RawSeries {
  id: number;
  kind: number;
  app: string;
  env: string;
  service: string;
  track: string;
  route: string;
  bounds: string | null;
  last: string | null;
}
interface RawTraffic {
  series: number;
  t: number;
  requests: number;
  errors: number;
  sum_ms: number;
  hist: Buffer | null;
}

/** An open metric store. */
export class MetricStore {
  readonly file: string;
  readonly rawRetentionMs: number;
  readonly rollupRetentionMs: number;
  /** True when the file held no series when it was opened (a first start). */
  readonly fresh: boolean;
  private readonly db: BetterSqlite3.Database;
  private readonly ids = new Map<string, number>();
  private readonly boundsOf = new Map<number, string>();
  private readonly writeTx: (t: number, traffic: readonly TrafficSample[], replicas: readonly ReplicaSample[]) => void;
  /** Round-robin position of retention over the series. */
  private pruneFrom = 0;

  constructor(opts: MetricStoreOptions) {
    this.file = opts.file;
    this.rawRetentionMs = opts.rawRetentionMs ?? DEFAULT_RAW_RETENTION_MS;
    this.rollupRetentionMs = opts.rollupRetentionMs ?? DEFAULT_ROLLUP_RETENTION_MS;
    mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
    this.db = new Sqlite(opts.file);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // A tick writes one row at the end of each series' range of the (series, t) key: a page per
    // series is hot. 16 MiB holds those of a few thousand series (SQLite's default 2 MiB, some 400).
    this.db.pragma('cache_size = -16384');
    this.db.exec(schema);
    for (const res of ['raw', '1m'] as const) {
      this.db.exec(trafficTable(TABLES.traffic[res]));
      this.db.exec(replicaTable(TABLES.replicas[res]));
    }
    const all = this.db
      .prepare('SELECT id, kind, app, env, service, track, route, bounds FROM series')
      .all() as RawSeries[];
    this.fresh = all.length === 0;
    for (const s of all) {
      this.ids.set(keyText(s.kind === 0 ? 'traffic' : 'replicas', s), s.id);
      if (s.bounds !== null) this.boundsOf.set(s.id, s.bounds);
    }
    const addSeries = this.db.prepare(
      'INSERT INTO series (kind, app, env, service, track, route, bounds) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const setBounds = this.db.prepare('UPDATE series SET bounds = ? WHERE id = ?');
    const setLast = this.db.prepare('UPDATE series SET last = ? WHERE id = ?');
    const insTraffic = this.db.prepare(
      `INSERT OR REPLACE INTO ${TABLES.traffic.raw} (series, t, requests, errors, sum_ms, hist) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const insReplicas = this.db.prepare(
      `INSERT OR REPLACE INTO ${TABLES.replicas.raw} (series, t, cpu, memory, restarts, ready, desired) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const idOf = (kind: SeriesKind, key: SeriesKey, bounds?: readonly number[]): number => {
      const text = keyText(kind, key);
      const b = bounds ? JSON.stringify(bounds) : null;
      let id = this.ids.get(text);
      if (id === undefined) {
        id = Number(
          addSeries.run(KIND_CODE[kind], key.app, key.env, key.service, key.track, key.route, b).lastInsertRowid,
        );
        this.ids.set(text, id);
        if (b !== null) this.boundsOf.set(id, b);
      } else if (b !== null && this.boundsOf.get(id) !== b) {
        setBounds.run(b, id);
        this.boundsOf.set(id, b);
      }
      return id;
    };
    this.writeTx = this.db.transaction(
      (t: number, traffic: readonly TrafficSample[], replicas: readonly ReplicaSample[]) => {
        for (const s of traffic) {
          const id = idOf('traffic', s.key, s.bounds);
          insTraffic.run(
            id,
            t,
            s.requests,
            s.errors,
            Math.round(s.sumMs),
            s.requests > 0 ? encodeCounts(s.counts) : null,
          );
          if (s.cursor !== undefined) setLast.run(s.cursor, id);
        }
        for (const s of replicas)
          insReplicas.run(idOf('replicas', s.key), t, s.cpu ?? null, s.memory ?? null, s.restarts, s.ready, s.desired);
      },
    );
  }

  /** Writes one tick's samples, all at time `t`, in one transaction. */
  write(t: number, traffic: readonly TrafficSample[], replicas: readonly ReplicaSample[]): void {
    if (traffic.length + replicas.length > 0) this.writeTx(t, traffic, replicas);
  }

  /** The series of an app and environment, of one kind, narrowed by service, track and route when given. */
  series(
    app: string,
    env: string,
    kind: SeriesKind,
    only: Partial<Pick<SeriesKey, 'service' | 'track' | 'route'>> = {},
  ): SeriesRow[] {
    let sql = 'SELECT * FROM series WHERE app = ? AND env = ? AND kind = ?';
    const params: (string | number)[] = [app, env, KIND_CODE[kind]];
    for (const f of ['service', 'track', 'route'] as const) {
      const v = only[f];
      if (v !== undefined) {
        sql += ` AND ${f} = ?`;
        params.push(v);
      }
    }
    return (this.db.prepare(`${sql} ORDER BY service, track, route`).all(...params) as RawSeries[]).map((s) => ({
      id: s.id,
      kind: s.kind === 0 ? 'traffic' : 'replicas',
      app: s.app,
      env: s.env,
      service: s.service,
      track: s.track,
      route: s.route,
      bounds: s.bounds !== null ? (JSON.parse(s.bounds) as number[]) : [],
      last: s.last,
    }));
  }

  /** Every traffic series' saved cursor (the sampler's counters at its last sample), by series key. */
  cursors(): Map<string, string> {
    const out = new Map<string, string>();
    for (const s of this.db.prepare('SELECT * FROM series WHERE kind = 0 AND last IS NOT NULL').all() as RawSeries[])
      out.set(keyText('traffic', s), s.last!);
    return out;
  }

  /** Traffic rows of `ids` with from <= t < to, by series then time. */
  trafficRows(res: MetricResolution, ids: readonly number[], from: number, to: number): TrafficRow[] {
    const stmt = this.db.prepare(
      `SELECT series, t, requests, errors, sum_ms, hist FROM ${TABLES.traffic[res]} WHERE series = ? AND t >= ? AND t < ? ORDER BY t`,
    );
    const out: TrafficRow[] = [];
    for (const id of ids)
      for (const r of stmt.all(id, from, to) as RawTraffic[])
        out.push({
          series: r.series,
          t: r.t,
          requests: r.requests,
          errors: r.errors,
          sumMs: r.sum_ms,
          counts: r.hist ? decodeCounts(r.hist) : [],
        });
    return out;
  }

  /** Replica rows of `ids` with from <= t < to, by series then time. */
  replicaRows(res: MetricResolution, ids: readonly number[], from: number, to: number): ReplicaRow[] {
    const stmt = this.db.prepare(
      `SELECT series, t, cpu, memory, restarts, ready, desired FROM ${TABLES.replicas[res]} WHERE series = ? AND t >= ? AND t < ? ORDER BY t`,
    );
    const out: ReplicaRow[] = [];
    for (const id of ids) out.push(...(stmt.all(id, from, to) as ReplicaRow[]));
    return out;
  }

  /**
   * Rolls raw samples up into one-minute rows, for every whole minute ended by `nowMs` not rolled
   * yet (at most `maxMinutes` of them a call): traffic summed (histograms bucket by bucket), replica
   * gauges averaged, restarts summed. Returns the minutes rolled.
   */
  rollup(nowMs: number, maxMinutes = 60): number {
    const done = this.db.prepare("SELECT value FROM meta WHERE key = 'rolledUntil'").get() as
      { value: number } | undefined;
    const end = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    const ids = this.db.prepare('SELECT id, kind FROM series').all() as { id: number; kind: number }[];
    let from = done?.value;
    if (from === undefined) {
      // The first rollup starts at the first raw sample (each lookup is one step of the primary key).
      let min = Infinity;
      for (const { id, kind } of ids) {
        const table = kind === 0 ? TABLES.traffic.raw : TABLES.replicas.raw;
        const r = this.db.prepare(`SELECT min(t) AS t FROM ${table} WHERE series = ?`).get(id) as { t: number | null };
        if (r.t !== null) min = Math.min(min, r.t);
      }
      if (min === Infinity) return 0;
      from = Math.floor(min / MINUTE_MS) * MINUTE_MS;
    }
    // Minutes whose raw samples retention has already dropped are not rolled up.
    from = Math.max(from, Math.floor((end - this.rawRetentionMs) / MINUTE_MS) * MINUTE_MS);
    if (from >= end) return 0;
    const to = Math.min(end, from + maxMinutes * MINUTE_MS);
    const trafficOf = this.db.prepare(
      `SELECT series, t, requests, errors, sum_ms, hist FROM ${TABLES.traffic.raw} WHERE series = ? AND t >= ? AND t < ?`,
    );
    const insTraffic = this.db.prepare(
      `INSERT OR REPLACE INTO ${TABLES.traffic['1m']} (series, t, requests, errors, sum_ms, hist) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const rollReplicas = this.db.prepare(
      `INSERT OR REPLACE INTO ${TABLES.replicas['1m']} (series, t, cpu, memory, restarts, ready, desired)
       SELECT series, (t / ${MINUTE_MS}) * ${MINUTE_MS} AS m, avg(cpu), CAST(avg(memory) AS INTEGER), sum(restarts), avg(ready), avg(desired)
       FROM ${TABLES.replicas.raw} WHERE series = ? AND t >= ? AND t < ? GROUP BY m`,
    );
    this.db.transaction(() => {
      for (const { id, kind } of ids) {
        if (kind !== 0) {
          rollReplicas.run(id, from, to);
          continue;
        }
        const minutes = new Map<number, { requests: number; errors: number; sumMs: number; counts: number[] }>();
        for (const r of trafficOf.all(id, from, to) as RawTraffic[]) {
          const t = Math.floor(r.t / MINUTE_MS) * MINUTE_MS;
          let m = minutes.get(t);
          if (!m) minutes.set(t, (m = { requests: 0, errors: 0, sumMs: 0, counts: [] }));
          m.requests += r.requests;
          m.errors += r.errors;
          m.sumMs += r.sum_ms;
          if (r.hist) addCounts(m.counts, decodeCounts(r.hist));
        }
        for (const [t, m] of minutes)
          insTraffic.run(
            id,
            t,
            m.requests,
            m.errors,
            Math.round(m.sumMs),
            m.requests > 0 ? encodeCounts(m.counts) : null,
          );
      }
      this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('rolledUntil', ?)").run(to);
    })();
    return (to - from) / MINUTE_MS;
  }

  /**
   * Drops rows past their resolution's retention: at most `maxRows` rows of each series it visits and
   * `maxSeries` series a call (round robin), so one call stays short however much is due (a retention
   * just shortened). Returns how many rows went.
   */
  prune(nowMs: number, maxSeries = 100, maxRows = 200): number {
    const ids = (this.db.prepare('SELECT id FROM series ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    if (ids.length === 0) return 0;
    const start = this.pruneFrom % ids.length;
    const slice = [...ids.slice(start), ...ids.slice(0, start)].slice(0, maxSeries);
    this.pruneFrom = start + slice.length;
    const stmts = (['raw', '1m'] as const).flatMap((res) =>
      (['traffic', 'replicas'] as const).map((kind) => {
        const table = TABLES[kind][res];
        const cutoff = nowMs - (res === 'raw' ? this.rawRetentionMs : this.rollupRetentionMs);
        const stmt = this.db.prepare(
          `DELETE FROM ${table} WHERE series = @id AND t < min(@cutoff,
             coalesce((SELECT t FROM ${table} WHERE series = @id ORDER BY t LIMIT 1 OFFSET @max), @cutoff))`,
        );
        return (id: number): number => stmt.run({ id, cutoff, max: maxRows }).changes;
      }),
    );
    let removed = 0;
    this.db.transaction(() => {
      for (const id of slice) for (const del of stmts) removed += del(id);
    })();
    return removed;
  }

  /** Rows in each table (tests, docs/metrics.md's sizes). */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const kind of ['traffic', 'replicas'] as const)
      for (const res of ['raw', '1m'] as const) {
        const table = TABLES[kind][res];
        out[table] = (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      }
    return out;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
