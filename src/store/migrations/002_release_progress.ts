/**
 * Progressive releases: each release step (one service of a release) records where its canary,
 * blue-green or A/B rollout stands (`progress`) and the operator's pending `command` (promote or
 * abort), so a control plane that restarts resumes at the same step and no command is lost.
 */
import type { Kysely } from 'kysely';

/** Adds `progress` and `command` (JSON text) to release_steps. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('release_steps').addColumn('progress', 'text').execute();
  await db.schema.alterTable('release_steps').addColumn('command', 'text').execute();
}

/** Drops the two columns. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('release_steps').dropColumn('command').execute();
  await db.schema.alterTable('release_steps').dropColumn('progress').execute();
}
