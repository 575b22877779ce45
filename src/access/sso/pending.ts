/**
 * What single sign-on keeps between its steps (migration 014_sso): a sign-in started and not yet
 * finished, found by its `state` (stored as its sha256), and a CLI sign-in's one-time code (stored as
 * its sha256). Each is taken at most once — deleted as it is read — and only before it expires.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { hashSecret } from '../tokens.js';

/** How long a started sign-in may take at the provider. */
export const LOGIN_TTL_MS = 10 * 60_000;
/** How long a CLI has to exchange its one-time code. */
export const CLI_CODE_TTL_MS = 2 * 60_000;

export interface PendingLogin {
  nonce: string;
  verifier: string;
  /** A console sign-in: the path to return to. */
  returnTo?: string;
  /** A console sign-in: the sha256 of the cookie that ties it to the browser that started it. */
  binding?: string;
  /** A CLI sign-in: its loopback port and PKCE challenge. */
  cli?: { port: number; challenge: string };
}

export interface CliCode {
  user: string;
  challenge: string;
}

export interface PendingStore {
  saveLogin(state: string, login: PendingLogin): Promise<void>;
  /** The login started with `state` (removed), or undefined when unknown or expired. */
  takeLogin(state: string): Promise<PendingLogin | undefined>;
  /** A new one-time code for `code`'s user and challenge. */
  saveCode(c: CliCode): Promise<string>;
  /** The code's user and challenge (removed: a code works once), or undefined when unknown or expired. */
  takeCode(code: string): Promise<CliCode | undefined>;
}

export function createPendingStore(db: Kysely<Database>, now: () => Date = () => new Date()): PendingStore {
  const sweep = async (t: Date): Promise<void> => {
    await db.deleteFrom('sso_logins').where('expires_at', '<=', t.toISOString()).execute();
    await db.deleteFrom('sso_cli_codes').where('expires_at', '<=', t.toISOString()).execute();
  };
  return {
    async saveLogin(state, l) {
      const t = now();
      await sweep(t);
      await db
        .insertInto('sso_logins')
        .values({
          state_hash: hashSecret(state),
          nonce: l.nonce,
          verifier: l.verifier,
          return_to: l.returnTo ?? null,
          binding_hash: l.binding ?? null,
          cli_port: l.cli?.port ?? null,
          cli_challenge: l.cli?.challenge ?? null,
          created_at: t.toISOString(),
          expires_at: new Date(t.getTime() + LOGIN_TTL_MS).toISOString(),
        })
        .execute();
    },
    async takeLogin(state) {
      const r = await db
        .deleteFrom('sso_logins')
        .where('state_hash', '=', hashSecret(state))
        .returningAll()
        .executeTakeFirst();
      if (!r || Date.parse(r.expires_at) <= now().getTime()) return undefined;
      return {
        nonce: r.nonce,
        verifier: r.verifier,
        ...(r.return_to !== null ? { returnTo: r.return_to } : {}),
        ...(r.binding_hash !== null ? { binding: r.binding_hash } : {}),
        ...(r.cli_port !== null && r.cli_challenge !== null
          ? { cli: { port: r.cli_port, challenge: r.cli_challenge } }
          : {}),
      };
    },
    async saveCode(c) {
      const code = randomBytes(32).toString('base64url');
      const t = now();
      await sweep(t);
      await db
        .insertInto('sso_cli_codes')
        .values({
          code_hash: hashSecret(code),
          user: c.user,
          challenge: c.challenge,
          created_at: t.toISOString(),
          expires_at: new Date(t.getTime() + CLI_CODE_TTL_MS).toISOString(),
        })
        .execute();
      return code;
    },
    async takeCode(code) {
      const r = await db
        .deleteFrom('sso_cli_codes')
        .where('code_hash', '=', hashSecret(code))
        .returningAll()
        .executeTakeFirst();
      if (!r || Date.parse(r.expires_at) <= now().getTime()) return undefined;
      return { user: r.user, challenge: r.challenge };
    },
  };
}
