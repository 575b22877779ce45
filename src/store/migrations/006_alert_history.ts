/**
 * The alert history (`alert_history`): every transition of an alert instance (pending, firing,
 * resolved), every notification a silence dropped, and every delivery's outcome per channel
 * (delivered, or given up with its last error), kept for a while (src/alerts/history.ts).
 */
import type { Kysely } from 'kysely';

/** Creates alert_history and its index by app, environment and time. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_history')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('service', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('value', 'real')
    .addColumn('status', 'text')
    .addColumn('channel', 'text')
    .addColumn('attempts', 'integer')
    .addColumn('error', 'text')
    .addColumn('starts_at', 'text')
    .execute();
  await db.schema.createIndex('alert_history_at').on('alert_history').columns(['app', 'env', 'at']).execute();
}

/** Drops alert_history. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('alert_history').execute();
}
