/**
 * The audit log (docs/access.md "Audit log"): one row per recorded call, chained by hash
 * (src/audit/chain.ts). Triggers refuse UPDATE and DELETE: the table is append-only at the database;
 * the head beside it (`<home>/audit.head`) catches a removal by someone who drops them.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('actor_name', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('credential', 'text')
    .addColumn('on_behalf_of', 'text')
    .addColumn('address', 'text')
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('app', 'text')
    .addColumn('env', 'text')
    .addColumn('object', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('message', 'text')
    .addColumn('summary', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_time').on('audit_log').column('time').execute();
  await db.schema.createIndex('audit_log_actor').on('audit_log').column('actor_name').execute();
  await db.schema.createIndex('audit_log_app_env').on('audit_log').columns(['app', 'env']).execute();
  await sql`create trigger audit_log_no_update before update on audit_log
    begin select raise(abort, 'the audit log is append-only'); end`.execute(db);
  await sql`create trigger audit_log_no_delete before delete on audit_log
    begin select raise(abort, 'the audit log is append-only'); end`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists audit_log_no_update`.execute(db);
  await sql`drop trigger if exists audit_log_no_delete`.execute(db);
  await db.schema.dropTable('audit_log').execute();
}
