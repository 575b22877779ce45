/**
 * Console sessions (docs/access.md): a random id in an HttpOnly, SameSite=Strict cookie, stored only as
 * its sha256, with a CSRF token the console sends back in a header on every change (the cookie alone
 * never authorizes a POST). A session records how it was made (password or SSO) and, for SSO, the
 * groups the provider's claim said at sign-in; it expires and ends at sign-out.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { hashSecret } from './tokens.js';

/** The cookie that carries a session. */
export const SESSION_COOKIE = 'berth_session';
/** The header that carries the session's CSRF token on a change. */
export const CSRF_HEADER = 'x-berth-csrf';
/** How long a session lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface Session {
  user: string;
  groups: string[];
  via: 'password' | 'sso';
  csrf: string;
  createdAt: string;
  expiresAt: string;
  /** The first 12 hex digits of the id's hash: names the session in the audit log without revealing it. */
  ref: string;
}

export interface SessionStore {
  /** A new session: the cookie's value (the secret) and the session. */
  create(o: {
    user: string;
    groups?: readonly string[];
    via: Session['via'];
    ttlMs?: number;
  }): Promise<{ secret: string; session: Session }>;
  /** The live session of cookie value `secret`, or undefined. */
  verify(secret: string): Promise<Session | undefined>;
  end(secret: string): Promise<void>;
  endAllOf(user: string): Promise<void>;
}

export function createSessionStore(db: Kysely<Database>, now: () => Date = () => new Date()): SessionStore {
  return {
    async create(o) {
      const secret = randomBytes(32).toString('base64url');
      const t = now();
      const row = {
        id_hash: hashSecret(secret),
        user: o.user,
        groups: JSON.stringify([...(o.groups ?? [])]),
        via: o.via,
        csrf: randomBytes(24).toString('base64url'),
        created_at: t.toISOString(),
        expires_at: new Date(t.getTime() + (o.ttlMs ?? SESSION_TTL_MS)).toISOString(),
      };
      await db.insertInto('sessions').values(row).execute();
      // Expired sessions go when new ones come: the table never grows without bound.
      await db.deleteFrom('sessions').where('expires_at', '<=', t.toISOString()).execute();
      return {
        secret,
        session: {
          user: o.user,
          groups: [...(o.groups ?? [])],
          via: o.via,
          csrf: row.csrf,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
          ref: row.id_hash.slice(0, 12),
        },
      };
    },
    async verify(secret) {
      const r = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id_hash', '=', hashSecret(secret))
        .executeTakeFirst();
      if (!r || Date.parse(r.expires_at) <= now().getTime()) return undefined;
      const groups: unknown = JSON.parse(r.groups);
      return {
        user: r.user,
        groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [],
        via: r.via === 'sso' ? 'sso' : 'password',
        csrf: r.csrf,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        ref: r.id_hash.slice(0, 12),
      };
    },
    async end(secret) {
      await db.deleteFrom('sessions').where('id_hash', '=', hashSecret(secret)).execute();
    },
    async endAllOf(user) {
      await db.deleteFrom('sessions').where('user', '=', user).execute();
    },
  };
}
