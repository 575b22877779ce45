/**
 * Identity (docs/access.md): users and service accounts (`users`, a scrypt hash of a local user's
 * password), their groups (`user_groups`), custom roles (`roles`), role bindings of a user or a group to
 * a role in an app and an environment (`role_bindings`, `*` for any), the console's sessions
 * (`sessions`, keyed by a hash of the cookie's value) — and API tokens that now belong to a user or
 * service account, with an expiry, scopes and a revocation time. Tokens made before this migration are
 * the bootstrap admin tokens (`kind` bootstrap, no user).
 */
import { sql, type Kysely } from 'kysely';

/** Creates the identity tables and widens tokens. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tokens')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('bootstrap'))
    .execute();
  await db.schema.alterTable('tokens').addColumn('user', 'text').execute();
  await db.schema.alterTable('tokens').addColumn('description', 'text').execute();
  await db.schema.alterTable('tokens').addColumn('scopes', 'text').execute();
  await db.schema.alterTable('tokens').addColumn('expires_at', 'text').execute();
  await db.schema.alterTable('tokens').addColumn('revoked_at', 'text').execute();
  await db.schema.alterTable('tokens').addColumn('last_used_at', 'text').execute();
  await db.schema.alterTable('tokens').addColumn('created_by', 'text').execute();
  await db.schema.createIndex('tokens_hash').on('tokens').column('hash').unique().execute();
  await db.schema.createIndex('tokens_user').on('tokens').column('user').execute();

  await db.schema
    .createTable('users')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('local'))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`))
    .addColumn('created_by', 'text')
    .execute();

  await db.schema
    .createTable('user_groups')
    .addColumn('user', 'text', (c) => c.notNull())
    .addColumn('grp', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_groups_pk', ['user', 'grp'])
    .execute();
  await db.schema.createIndex('user_groups_grp').on('user_groups').column('grp').execute();

  await db.schema
    .createTable('roles')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`))
    .addColumn('created_by', 'text')
    .execute();

  await db.schema
    .createTable('role_bindings')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`))
    .addColumn('created_by', 'text')
    .addUniqueConstraint('role_bindings_unique', ['subject_kind', 'subject', 'role', 'app', 'env'])
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user', 'text', (c) => c.notNull())
    .addColumn('groups', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('csrf', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user').execute();
}

/** Drops the identity tables (tokens keep their new columns). */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['sessions', 'role_bindings', 'roles', 'user_groups', 'users'])
    await db.schema.dropTable(t).execute();
}
