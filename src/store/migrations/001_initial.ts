/** The first schema: every table of src/store/schema.ts, and the built-in `local` environment. */
import { sql, type Kysely } from 'kysely';

/** SQLite's current time in the same ISO-8601 UTC format as `Date#toISOString()`. */
const nowIso = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** Creates every table. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('environments')
    .addColumn('name', 'text', (c) => c.primaryKey().notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('defaults', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(nowIso))
    .execute();

  await db.schema
    .createTable('apps')
    .addColumn('name', 'text', (c) => c.primaryKey().notNull())
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(nowIso))
    .execute();

  await db.schema
    .createTable('config_versions')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(nowIso))
    .addColumn('entries', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('config_versions_pk', ['app', 'env', 'version'])
    .execute();

  // Statuses and kinds are not CHECK-constrained: SQLite can only change a CHECK by rebuilding
  // the table, and the TypeScript unions in schema.ts already guard every writer.
  await db.schema
    .createTable('releases')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('reason', 'text')
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('spec_digest', 'text', (c) => c.notNull())
    .addColumn('spec_file', 'text', (c) => c.notNull())
    .addColumn('config_version', 'integer', (c) => c.notNull())
    .addColumn('rendered', 'text', (c) => c.notNull())
    .addColumn('source_revision', 'integer')
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(nowIso))
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('rollback_policy', 'text', (c) => c.notNull().defaultTo('auto'))
    .addUniqueConstraint('releases_app_env_revision_unique', ['app', 'env', 'revision'])
    .execute();
  // The engine looks for unfinished releases on every start.
  await db.schema.createIndex('releases_status_idx').on('releases').column('status').execute();

  await db.schema
    .createTable('release_steps')
    .addColumn('release_id', 'integer', (c) => c.notNull().references('releases.id').onDelete('cascade'))
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('message', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addPrimaryKeyConstraint('release_steps_pk', ['release_id', 'service'])
    .execute();

  await db.schema
    .createTable('release_events')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('release_id', 'integer', (c) => c.notNull().references('releases.id').onDelete('cascade'))
    .addColumn('time', 'text', (c) => c.notNull().defaultTo(nowIso))
    .addColumn('service', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('release_events_release_idx')
    .on('release_events')
    .columns(['release_id', 'id'])
    .execute();

  await db.schema
    .createTable('leases')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('leases_pk', ['app', 'env'])
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(nowIso))
    .execute();

  await sql`insert into environments (name, target, defaults) values ('local', '{"kind":"local"}', '{}')`.execute(db);
}

/** Drops every table (only for tooling; Berth never migrates down on its own). */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'tokens',
    'leases',
    'release_events',
    'release_steps',
    'releases',
    'config_versions',
    'apps',
    'environments',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
