/**
 * The per-(app, env) operation lock of the release engine: a lease row that expires, so a
 * control plane that dies while holding it does not block the (app, env) forever.
 */
import { sql, type Kysely } from 'kysely';
import { ValidationError } from '../errors.js';
import type { Database } from './schema.js';

/** A source of the current time in epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** The leases of one holder. */
export interface Leases {
  /** The holder's name, as stored in the lease row. */
  readonly holder: string;
  /** Takes the lease if it is free, expired, or already ours (then extends it). Atomic. */
  acquire(app: string, env: string, ttlMs: number): Promise<boolean>;
  /** Extends a lease we hold; false if another holder has it or there is none. */
  renew(app: string, env: string, ttlMs: number): Promise<boolean>;
  /**
   * Gives up the lease if we hold it; does nothing otherwise. Passing another `holder` breaks
   * that holder's lease (e.g. one whose process is known dead), but only while it still holds it.
   */
  release(app: string, env: string, holder?: string): Promise<void>;
  /** The current holder of an unexpired lease, or undefined when the (app, env) is free. */
  holderOf(app: string, env: string): Promise<{ holder: string; expiresAt: number } | undefined>;
}

const systemClock: Clock = { now: () => Date.now() };

/** Creates the lease operations of `opts.holder` (e.g. `hostname:pid:random`). */
export function createLeases(db: Kysely<Database>, opts: { holder: string; clock?: Clock }): Leases {
  const { holder } = opts;
  const clock = opts.clock ?? systemClock;
  if (holder === '')
    throw new ValidationError('a lease holder needs a name', [{ path: 'holder', message: 'must not be empty' }]);

  return {
    holder,

    async acquire(app, env, ttlMs) {
      checkTtl(ttlMs);
      const now = clock.now();
      const expiresAt = now + ttlMs;
      // One statement, so two holders can never both win: the update only happens when the
      // existing row is expired or ours, and a re-acquire by the holder keeps its acquired_at.
      const result = await db
        .insertInto('leases')
        .values({ app, env, holder, expires_at: expiresAt, acquired_at: new Date(now).toISOString() })
        .onConflict((oc) =>
          oc
            .columns(['app', 'env'])
            .doUpdateSet({
              holder,
              expires_at: expiresAt,
              acquired_at: sql<string>`case when leases.holder = ${holder} then leases.acquired_at else excluded.acquired_at end`,
            })
            .where((eb) => eb.or([eb('leases.expires_at', '<=', now), eb('leases.holder', '=', holder)])),
        )
        .executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },

    async renew(app, env, ttlMs) {
      checkTtl(ttlMs);
      // An expired lease that is still ours was taken by nobody, so extending it is safe.
      const result = await db
        .updateTable('leases')
        .set({ expires_at: clock.now() + ttlMs })
        .where('app', '=', app)
        .where('env', '=', env)
        .where('holder', '=', holder)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async release(app, env, of = holder) {
      await db.deleteFrom('leases').where('app', '=', app).where('env', '=', env).where('holder', '=', of).execute();
    },

    async holderOf(app, env) {
      const row = await db
        .selectFrom('leases')
        .select(['holder', 'expires_at'])
        .where('app', '=', app)
        .where('env', '=', env)
        .executeTakeFirst();
      if (!row || row.expires_at <= clock.now()) return undefined;
      return { holder: row.holder, expiresAt: row.expires_at };
    },
  };
}

function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new ValidationError('invalid lease duration', [
      { path: 'ttlMs', message: `must be a positive integer of milliseconds, got ${ttlMs}` },
    ]);
  }
}
