/**
 * Approval requests (src/approvals/, docs/access.md Approvals): one row per operation waiting for
 * approvals, with the operation's request (encrypted: a config change may carry secrets) and a masked
 * copy to show, who asked and why, how many approvals it needs, the approvals so far, its state
 * (pending → approved → running → done | failed; rejected, expired, withdrawn) and what it started.
 * Durable like a release: an approved row not yet done is run when the control plane starts again.
 */
import type { Kysely } from 'kysely';

/** Creates approvals, with an index by state and expiry (the sweep) and by app and environment. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('approvals')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('shown', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('required', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('votes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('expires', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .addColumn('ended_by', 'text')
    .addColumn('end_reason', 'text')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('approvals_state_expires').on('approvals').columns(['state', 'expires']).execute();
  await db.schema.createIndex('approvals_app_env').on('approvals').columns(['app', 'env']).execute();
}

/** Drops approvals. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('approvals').execute();
}
