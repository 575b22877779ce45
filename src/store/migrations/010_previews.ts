/**
 * Preview environments (`previews`, src/previews/): one row per app and key (`pr-12`, a branch made a
 * DNS label) naming the environment made from its template, its times (created, last updated, when it
 * expires), and its state — opening, open, closing, closed — so a control plane stopped midway leaves a
 * row the next open, close or sweep finishes. A closed row keeps why it was closed.
 */
import type { Kysely } from 'kysely';

/** Creates previews, keyed by app and key, with an index by state and expiry for the sweeper. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('previews')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('ttl_ms', 'integer', (c) => c.notNull())
    .addColumn('edge_port', 'integer')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .addColumn('expires', 'text', (c) => c.notNull())
    .addColumn('closed', 'text')
    .addColumn('closed_reason', 'text')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('previews_pk', ['app', 'key'])
    .execute();
  await db.schema.createIndex('previews_state_expires').on('previews').columns(['state', 'expires']).execute();
  await db.schema.createIndex('previews_env').on('previews').column('env').execute();
}

/** Drops previews. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('previews').execute();
}
