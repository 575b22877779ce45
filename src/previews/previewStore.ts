/**
 * The previews table (migration 010_previews) as records: one row per app and key, its state
 * (opening → open → closing → closed) committed before each step is acted on.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, PreviewsTable } from '../store/schema.js';
import type { PreviewEnvironment } from '../model/delivery.js';

export const PREVIEW_STATES = ['opening', 'open', 'closing', 'closed'] as const;
/**
 * `opening`: recorded, its environment maybe not made yet; `open`: the environment and its config
 * exist; `closing`: its apps are being taken down and the environment deleted; `closed`: gone.
 */
export type PreviewState = (typeof PREVIEW_STATES)[number];

/** One preview as the API and the CLI show it. */
export interface PreviewRecord extends PreviewEnvironment {
  state: PreviewState;
  /** Who opened it (or last renewed it). */
  author: string;
  /** Its time to live after the last open, in milliseconds. */
  ttlMs: number;
  /** When it was last opened again (its time to live counts from here). */
  updatedAt: string;
  /** The edge port picked for it on this machine; absent on Kubernetes. */
  edgePort?: number;
  closedAt?: string;
  /** Why it was closed (`merged`, `closed`, `expired`, `by hand`, ...), once closing. */
  closedReason?: string;
  /** Why the last close failed (the sweeper tries again). */
  error?: string;
}

type Row = Selectable<PreviewsTable>;

export function recordOf(r: Row): PreviewRecord {
  return {
    app: r.app,
    key: r.key,
    env: r.env,
    template: r.template,
    state: r.state as PreviewState,
    author: r.author,
    ttlMs: r.ttl_ms,
    createdAt: r.created,
    updatedAt: r.updated,
    expiresAt: r.expires,
    ...(r.edge_port === null ? {} : { edgePort: r.edge_port }),
    ...(r.closed === null ? {} : { closedAt: r.closed }),
    ...(r.closed_reason === null ? {} : { closedReason: r.closed_reason }),
    ...(r.error === null ? {} : { error: r.error }),
  };
}

/** Typed access to the rows. */
export function previewRows(db: Kysely<Database>) {
  return {
    async get(app: string, key: string): Promise<PreviewRecord | undefined> {
      const r = await db
        .selectFrom('previews')
        .selectAll()
        .where('app', '=', app)
        .where('key', '=', key)
        .executeTakeFirst();
      return r && recordOf(r);
    },
    /** Every preview (of `app`), newest first; closed ones only when asked. */
    async list(o: { app?: string; closed?: boolean } = {}): Promise<PreviewRecord[]> {
      let q = db.selectFrom('previews').selectAll();
      if (o.app !== undefined) q = q.where('app', '=', o.app);
      if (!o.closed) q = q.where('state', '!=', 'closed');
      const rows = await q.orderBy('created', 'desc').orderBy('app').orderBy('key').execute();
      return rows.map(recordOf);
    },
    /** The preview (not closed) whose environment is `env`. */
    async byEnv(env: string): Promise<PreviewRecord | undefined> {
      const r = await db
        .selectFrom('previews')
        .selectAll()
        .where('env', '=', env)
        .where('state', '!=', 'closed')
        .executeTakeFirst();
      return r && recordOf(r);
    },
    /** Those to close at `now`: expired ones not closed, and every one left closing. */
    async due(now: string): Promise<PreviewRecord[]> {
      const rows = await db
        .selectFrom('previews')
        .selectAll()
        .where((eb) =>
          eb.or([
            eb('state', '=', 'closing'),
            eb.and([eb('state', 'in', ['opening', 'open']), eb('expires', '<=', now)]),
          ]),
        )
        .orderBy('expires')
        .execute();
      return rows.map(recordOf);
    },
    /** Writes a whole record (insert or replace). */
    async put(p: PreviewRecord): Promise<void> {
      const row: Row = {
        app: p.app,
        key: p.key,
        env: p.env,
        template: p.template,
        state: p.state,
        author: p.author,
        ttl_ms: p.ttlMs,
        edge_port: p.edgePort ?? null,
        created: p.createdAt,
        updated: p.updatedAt,
        expires: p.expiresAt,
        closed: p.closedAt ?? null,
        closed_reason: p.closedReason ?? null,
        error: p.error ?? null,
      };
      await db
        .insertInto('previews')
        .values(row)
        .onConflict((oc) => oc.columns(['app', 'key']).doUpdateSet(row))
        .execute();
    },
  };
}
export type PreviewRows = ReturnType<typeof previewRows>;
