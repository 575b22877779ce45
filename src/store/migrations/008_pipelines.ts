/**
 * Pipelines (src/pipelines/, docs/pipelines.md): each app's pipeline, versioned (`pipelines`, the
 * webhook secret encrypted with the secret box), its runs (`pipeline_runs`) and their steps
 * (`pipeline_steps`: status, times, result, error and log tail), so a run resumes after a restart.
 */
import type { Kysely } from 'kysely';

/** Creates pipelines, pipeline_runs and pipeline_steps. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('pipelines')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('webhook_secret', 'text')
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('pipelines_pk', ['app', 'version'])
    .execute();
  await db.schema
    .createTable('pipeline_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('branch', 'text', (c) => c.notNull())
    .addColumn('commit_id', 'text')
    .addColumn('pipeline_version', 'integer', (c) => c.notNull())
    .addColumn('preview', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('pipeline_runs_app').on('pipeline_runs').columns(['app', 'status', 'id']).execute();
  await db.schema
    .createTable('pipeline_steps')
    .addColumn('run_id', 'integer', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('log_tail', 'text')
    .addPrimaryKeyConstraint('pipeline_steps_pk', ['run_id', 'idx'])
    .execute();
}

/** Drops the pipeline tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('pipeline_steps').execute();
  await db.schema.dropTable('pipeline_runs').execute();
  await db.schema.dropTable('pipelines').execute();
}
