/**
 * The alert history: what each alert instance went through — pending, cleared, firing, resolved; a
 * notification a silence dropped; and each channel's delivery outcome (delivered, or given up with
 * its last error) — kept in the store for `maxAgeMs` (default 30 days) and at most `maxEntries` per
 * app and environment (default 10,000), the oldest pruned first.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/** What happened. */
/** What happened: `cleared` is a pending alert whose breach ended before `for` (it never fired). */
export const HISTORY_KINDS = [
  'pending',
  'cleared',
  'firing',
  'resolved',
  'silenced',
  'delivered',
  'undelivered',
] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

/** One entry of the history, as the API shows it. */
export interface AlertHistoryEntry {
  id: number;
  app: string;
  env: string;
  rule: string;
  /** Absent for an alert of the whole app. */
  service?: string;
  kind: HistoryKind;
  /** ISO time. */
  at: string;
  /** The value measured (transitions of measured metrics). */
  value?: number;
  /** The notification's status (firing or resolved) for a delivery outcome or a silenced notification. */
  status?: 'firing' | 'resolved';
  /** The channel's type (delivery outcomes). */
  channel?: string;
  /** Tries it took (delivery outcomes). */
  attempts?: number;
  /** The last error of a delivery given up. */
  error?: string;
  /** The alert's startsAt: which firing the entry belongs to. */
  startsAt?: string;
}

export type NewHistoryEntry = Omit<AlertHistoryEntry, 'id'>;

/** A query of the history; newest first. */
export interface HistoryQuery {
  app: string;
  env: string;
  rule?: string;
  service?: string;
  sinceMs?: number;
  untilMs?: number;
  limit: number;
}

export interface HistoryRetention {
  maxAgeMs: number;
  /** Per app and environment. */
  maxEntries: number;
}

export const DEFAULT_HISTORY_RETENTION: HistoryRetention = { maxAgeMs: 30 * 86_400_000, maxEntries: 10_000 };

export interface AlertHistory {
  record(entries: readonly NewHistoryEntry[]): Promise<void>;
  query(q: HistoryQuery): Promise<AlertHistoryEntry[]>;
  /** Drops entries older than the retention's age, and the oldest beyond its count per app and environment. */
  prune(nowMs: number): Promise<number>;
}

type Executor = Pick<Kysely<Database>, 'insertInto'>;

/** The row of an entry (for writing in a caller's transaction). */
export async function insertHistory(db: Executor, entries: readonly NewHistoryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('alert_history')
    .values(
      entries.map((e) => ({
        app: e.app,
        env: e.env,
        rule: e.rule,
        service: e.service ?? null,
        kind: e.kind,
        at: e.at,
        value: e.value ?? null,
        status: e.status ?? null,
        channel: e.channel ?? null,
        attempts: e.attempts ?? null,
        error: e.error ?? null,
        starts_at: e.startsAt ?? null,
      })),
    )
    .execute();
}

export function createAlertHistory(
  db: Kysely<Database>,
  retention: HistoryRetention = DEFAULT_HISTORY_RETENTION,
): AlertHistory {
  return {
    record: (entries) => insertHistory(db, entries),
    async query(q) {
      let s = db.selectFrom('alert_history').selectAll().where('app', '=', q.app).where('env', '=', q.env);
      if (q.rule !== undefined) s = s.where('rule', '=', q.rule);
      if (q.service !== undefined) s = s.where('service', '=', q.service);
      if (q.sinceMs !== undefined) s = s.where('at', '>=', new Date(q.sinceMs).toISOString());
      if (q.untilMs !== undefined) s = s.where('at', '<=', new Date(q.untilMs).toISOString());
      const rows = await s.orderBy('at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
      return rows.map((r) => ({
        id: r.id,
        app: r.app,
        env: r.env,
        rule: r.rule,
        ...(r.service !== null ? { service: r.service } : {}),
        kind: r.kind as HistoryKind,
        at: r.at,
        ...(r.value !== null ? { value: r.value } : {}),
        ...(r.status === 'firing' || r.status === 'resolved' ? { status: r.status } : {}),
        ...(r.channel !== null ? { channel: r.channel } : {}),
        ...(r.attempts !== null ? { attempts: r.attempts } : {}),
        ...(r.error !== null ? { error: r.error } : {}),
        ...(r.starts_at !== null ? { startsAt: r.starts_at } : {}),
      }));
    },
    async prune(nowMs) {
      const old = await db
        .deleteFrom('alert_history')
        .where('at', '<', new Date(nowMs - retention.maxAgeMs).toISOString())
        .executeTakeFirst();
      let removed = Number(old.numDeletedRows);
      const crowded = await db
        .selectFrom('alert_history')
        .select(['app', 'env', db.fn.countAll<number>().as('n')])
        .groupBy(['app', 'env'])
        .having(db.fn.countAll(), '>', retention.maxEntries)
        .execute();
      for (const { app, env } of crowded) {
        const keep = db
          .selectFrom('alert_history')
          .select('id')
          .where('app', '=', app)
          .where('env', '=', env)
          .orderBy('id', 'desc')
          .limit(retention.maxEntries);
        const r = await db
          .deleteFrom('alert_history')
          .where('app', '=', app)
          .where('env', '=', env)
          .where('id', 'not in', keep)
          .executeTakeFirst();
        removed += Number(r.numDeletedRows);
      }
      return removed;
    },
  };
}
