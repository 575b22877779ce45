/**
 * What a release was started with, kept with it: its `options` (the timeout, and whatever a later
 * option adds) as JSON, and an operator's `cancel_request`, so a control plane that restarts
 * resumes the release with the same deadline and still cancels a release whose cancel it had
 * accepted before it died.
 */
import { sql, type Kysely } from 'kysely';

/** Adds `options` (JSON text, `{}` for releases made before) and `cancel_request` (JSON text) to releases. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('releases')
    .addColumn('options', 'text', (c) => c.notNull().defaultTo(sql`'{}'`))
    .execute();
  await db.schema.alterTable('releases').addColumn('cancel_request', 'text').execute();
}

/** Drops the two columns. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('releases').dropColumn('cancel_request').execute();
  await db.schema.alterTable('releases').dropColumn('options').execute();
}
