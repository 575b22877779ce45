/**
 * The deliveries a webhook received (`hook_deliveries`), refused ones too. A delivery id is taken
 * once per provider and app (a unique index over accepted rows), in the transaction that writes the
 * delivery's row: a repeat finds it taken and is a replay. Rows older than the retention are pruned;
 * refused rows are also capped per app, so anyone who can reach the URL cannot grow the table without
 * bound. The retention is also the replay bound: an id older than it is forgotten.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, HookDeliveriesTable } from '../store/schema.js';
import type { HookDelivery, HookDeliveryOutcome } from '../model/hookDelivery.js';

/** What is known of a delivery when it is written. */
export interface DeliveryRecord {
  provider: string;
  app: string;
  deliveryId?: string;
  receivedAt: string;
  event?: string;
  status: number;
  outcome: HookDeliveryOutcome;
  detail?: string;
  runId?: string;
  ref?: string;
  commit?: string;
}

/** A delivery id taken: its row, or the earlier row that holds the id (a replay). */
export type Claim = { taken: true; id: number } | { taken: false; earlier: HookDelivery };

export interface HookDeliveries {
  /** Takes `record.deliveryId` for its provider and app and writes the row (outcome `received`), unless taken. */
  claim(record: DeliveryRecord & { deliveryId: string }): Promise<Claim>;
  /** Writes a claimed delivery's outcome; `release` frees its id (a failed delivery may be sent again). */
  finish(
    id: number,
    o: { status: number; outcome: HookDeliveryOutcome; detail?: string; runId?: string; release?: boolean },
  ): Promise<void>;
  /** Writes a refused delivery (its id is not taken). */
  refuse(record: DeliveryRecord): Promise<void>;
  /** The newest deliveries first, of one app or of all. */
  list(q: { app?: string; limit: number }): Promise<HookDelivery[]>;
  /** Removes rows received before `before`; the number removed. */
  prune(before: Date): Promise<number>;
}

/** How many refused deliveries are kept per app (the newest). */
export const REFUSED_KEPT_PER_APP = 1000;

const isUniqueViolation = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';

function toDelivery(r: Selectable<HookDeliveriesTable>): HookDelivery {
  return {
    id: r.id,
    provider: r.provider,
    app: r.app,
    ...(r.delivery_id === null ? {} : { deliveryId: r.delivery_id }),
    receivedAt: r.received_at,
    ...(r.event === null ? {} : { event: r.event }),
    status: r.status,
    outcome: r.outcome as HookDeliveryOutcome,
    ...(r.detail === null ? {} : { detail: r.detail }),
    ...(r.run_id === null ? {} : { runId: r.run_id }),
    ...(r.ref === null ? {} : { ref: r.ref }),
    ...(r.commit_sha === null ? {} : { commit: r.commit_sha }),
  };
}

const row = (r: DeliveryRecord, accepted: number) => ({
  provider: r.provider,
  app: r.app,
  delivery_id: r.deliveryId ?? null,
  received_at: r.receivedAt,
  event: r.event ?? null,
  accepted,
  status: r.status,
  outcome: r.outcome,
  detail: r.detail ?? null,
  run_id: r.runId ?? null,
  ref: r.ref ?? null,
  commit_sha: r.commit ?? null,
});

/** How long deliveries are kept: BERTH_HOOK_RETENTION_DAYS (default 30). */
export function hookRetentionMs(env: NodeJS.ProcessEnv = process.env): number {
  const days = Number(env.BERTH_HOOK_RETENTION_DAYS ?? 30);
  return (Number.isFinite(days) && days > 0 ? days : 30) * 24 * 3600 * 1000;
}

/** Rows are pruned when deliveries are written, at most this often. */
const PRUNE_EVERY_MS = 60_000;

export function createHookDeliveries(
  db: Kysely<Database>,
  o: { retentionMs?: number; now?: () => number } = {},
): HookDeliveries {
  const retentionMs = o.retentionMs ?? hookRetentionMs();
  const now = o.now ?? Date.now;
  let prunedAt = -Infinity;
  async function pruneNow(): Promise<void> {
    if (now() - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now();
    await api.prune(new Date(now() - retentionMs));
  }
  const earlierOf = (r: { provider: string; app: string; deliveryId: string }) =>
    db
      .selectFrom('hook_deliveries')
      .selectAll()
      .where('provider', '=', r.provider)
      .where('app', '=', r.app)
      .where('delivery_id', '=', r.deliveryId)
      .where('accepted', '=', 1)
      .executeTakeFirst();

  async function capRefused(app: string): Promise<void> {
    const cut = await db
      .selectFrom('hook_deliveries')
      .select('id')
      .where('app', '=', app)
      .where('accepted', '=', 0)
      .orderBy('id', 'desc')
      .offset(REFUSED_KEPT_PER_APP)
      .limit(1)
      .executeTakeFirst();
    if (cut)
      await db
        .deleteFrom('hook_deliveries')
        .where('app', '=', app)
        .where('accepted', '=', 0)
        .where('id', '<=', cut.id)
        .execute();
  }

  const api: HookDeliveries = {
    async claim(record) {
      await pruneNow();
      try {
        return await db.transaction().execute(async (tx) => {
          const earlier = await tx
            .selectFrom('hook_deliveries')
            .selectAll()
            .where('provider', '=', record.provider)
            .where('app', '=', record.app)
            .where('delivery_id', '=', record.deliveryId)
            .where('accepted', '=', 1)
            .executeTakeFirst();
          if (earlier) return { taken: false as const, earlier: toDelivery(earlier) };
          const made = await tx
            .insertInto('hook_deliveries')
            .values(row(record, 1))
            .returning('id')
            .executeTakeFirstOrThrow();
          return { taken: true as const, id: made.id };
        });
      } catch (err) {
        // Another connection took the id between the look and the insert: the unique index refused it.
        if (!isUniqueViolation(err)) throw err;
        const earlier = await earlierOf(record);
        if (!earlier) throw err;
        return { taken: false, earlier: toDelivery(earlier) };
      }
    },

    async finish(id, o) {
      await db
        .updateTable('hook_deliveries')
        .set({
          status: o.status,
          outcome: o.outcome,
          detail: o.detail ?? null,
          run_id: o.runId ?? null,
          ...(o.release ? { accepted: 0 } : {}),
        })
        .where('id', '=', id)
        .execute();
    },

    async refuse(record) {
      await pruneNow();
      await db.insertInto('hook_deliveries').values(row(record, 0)).execute();
      await capRefused(record.app);
    },

    async list(q) {
      let query = db.selectFrom('hook_deliveries').selectAll();
      if (q.app !== undefined) query = query.where('app', '=', q.app);
      const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
      return rows.map(toDelivery);
    },

    async prune(before) {
      const r = await db
        .deleteFrom('hook_deliveries')
        .where('received_at', '<', before.toISOString())
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
  return api;
}
