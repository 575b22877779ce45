/**
 * Builds (issue 17 point 2): one row per service of each build (`berth build`), with the commit it
 * built, its context's digest (the skip rule compares it), its status, what it made (an image and its
 * digest, or a code snapshot's digest), when it started and ended, and its log file.
 */
import type { Kysely } from 'kysely';

/** Creates builds. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('builds')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('build_id', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('commit', 'text', (c) => c.notNull())
    .addColumn('context_digest', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('image', 'text')
    .addColumn('image_digest', 'text')
    .addColumn('code_digest', 'text')
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('log_file', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addUniqueConstraint('builds_service', ['build_id', 'service'])
    .execute();
  await db.schema.createIndex('builds_app_env').on('builds').columns(['app', 'env', 'service', 'id']).execute();
}

/** Drops builds. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('builds').execute();
}
