/**
 * Alerts: the rules of each app and environment (`alert_rules`; the channels column is encrypted,
 * channel URLs and signing secrets being credentials) and the outbox of notifications
 * (`alert_outbox`): a notification is written here before it is sent and removed only after its
 * receiver answered 2xx, so none is lost when the control plane stops between the two; and where
 * each alert stands (`alert_states`), so a restarted control plane resolves what was firing; and
 * silences (`alert_silences`): notifications of matching alerts are not sent until they end.
 */
import type { Kysely } from 'kysely';

/** Creates alert_rules, alert_outbox, alert_states and alert_silences. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_rules')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('channels', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_rules_pk', ['app', 'env', 'name'])
    .execute();
  await db.schema
    .createTable('alert_outbox')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('notification', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_outbox_due').on('alert_outbox').column('next_attempt_at').execute();
  await db.schema
    .createTable('alert_states')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('rule_version', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_states_pk', ['app', 'env', 'rule', 'service'])
    .execute();
  await db.schema
    .createTable('alert_silences')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('rule', 'text')
    .addColumn('service', 'text')
    .addColumn('starts_at', 'text', (c) => c.notNull())
    .addColumn('ends_at', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

/** Drops the four tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('alert_silences').execute();
  await db.schema.dropTable('alert_states').execute();
  await db.schema.dropTable('alert_outbox').execute();
  await db.schema.dropTable('alert_rules').execute();
}
