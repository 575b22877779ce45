/**
 * Single sign-on (src/access/sso/, docs/access.md "Single sign-on"): the sign-ins started and not yet
 * finished (`sso_logins`: the state sent to the provider as its sha256, the nonce and PKCE verifier of
 * the provider leg, the console page to return to and the sha256 of the
 * cookie that ties it to the browser that started it, or the CLI's loopback port and PKCE challenge), and
 * the one-time codes a CLI sign-in hands to its loopback callback (`sso_cli_codes`: the code's sha256,
 * the user it signs in, the CLI's challenge). Both live minutes and are deleted when used or expired.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sso_logins')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('verifier', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text')
    .addColumn('binding_hash', 'text')
    .addColumn('cli_port', 'integer')
    .addColumn('cli_challenge', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('sso_cli_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('user', 'text', (c) => c.notNull())
    .addColumn('challenge', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sso_cli_codes').execute();
  await db.schema.dropTable('sso_logins').execute();
}
