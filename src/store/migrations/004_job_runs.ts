/**
 * The history of cronjob runs (`job_runs`: each scheduled or manual run with its start, end, exit
 * code and log tail, and each due time that was skipped or missed) and how far the scheduler has
 * looked at each cronjob's schedule (`cron_cursors`), so a restarted control plane knows which due
 * times it missed and never starts one twice.
 */
import { sql, type Kysely } from 'kysely';

/** Creates job_runs and cron_cursors. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('job_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text')
    .addColumn('started_at', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('exit_code', 'integer')
    .addColumn('reason', 'text')
    .addColumn('log_tail', 'text', (c) => c.notNull().defaultTo(sql`'[]'`))
    .addColumn('replica', 'text')
    .addUniqueConstraint('job_runs_run', ['app', 'env', 'service', 'run_id'])
    .execute();
  await db.schema
    .createTable('cron_cursors')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('checked_until', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('cron_cursors_pk', ['app', 'env', 'service'])
    .execute();
}

/** Drops the two tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('cron_cursors').execute();
  await db.schema.dropTable('job_runs').execute();
}
