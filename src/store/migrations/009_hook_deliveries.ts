/**
 * Webhook deliveries (`hook_deliveries`): every push or pull-request delivery a provider sent to
 * `/api/v1/hooks/{provider}/{app}`, refused ones too, with what it came to (src/hooks/deliveryStore.ts).
 * A delivery id is taken once per app: the unique index over accepted deliveries refuses a replay.
 */
import { sql, type Kysely } from 'kysely';

/** Creates hook_deliveries, its index by app and time, and the unique index of accepted delivery ids. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('hook_deliveries')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('event', 'text')
    .addColumn('accepted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('run_id', 'text')
    .addColumn('ref', 'text')
    .addColumn('commit_sha', 'text')
    .execute();
  await db.schema.createIndex('hook_deliveries_app').on('hook_deliveries').columns(['app', 'received_at']).execute();
  await db.schema
    .createIndex('hook_deliveries_taken')
    .on('hook_deliveries')
    .columns(['provider', 'app', 'delivery_id'])
    .unique()
    .where(sql.ref('accepted'), '=', 1)
    .execute();
}

/** Drops hook_deliveries. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('hook_deliveries').execute();
}
