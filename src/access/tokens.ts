/**
 * API tokens (docs/access.md): `berth_` + 24 random bytes, shown once when issued and stored only as
 * their sha256 (a token is 192 random bits, so a fast hash is enough: nothing to brute-force). A token
 * belongs to a user or a service account (the bootstrap admin token of the first start to its owner's
 * name), may be narrowed to scopes, expires, and is revoked rather than deleted so the audit log's
 * references stay meaningful.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { NotFoundError } from '../errors.js';
import { isPermission, type Permission } from '../model/access.js';
import type { Database, TokensTable } from '../store/schema.js';

export type TokenKind = 'bootstrap' | 'personal' | 'service';

/** A stored token, without its secret. */
export interface StoredToken {
  id: number;
  name: string;
  kind: TokenKind;
  /** The user or service account it acts as; null for a bootstrap token (which acts as `name`, an admin). */
  user: string | null;
  description: string | null;
  scopes: Permission[] | null;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface IssueToken {
  name: string;
  kind: TokenKind;
  user?: string;
  description?: string;
  scopes?: readonly Permission[];
  expiresAt?: Date;
  createdBy: string;
}

export interface TokenStore {
  /** A new token: its secret (shown once) and its record. */
  issue(o: IssueToken): Promise<{ secret: string; token: StoredToken }>;
  /** The live token `secret` is (not revoked, not expired), or undefined. */
  verify(secret: string): Promise<StoredToken | undefined>;
  list(filter?: { user?: string; kind?: TokenKind; includeRevoked?: boolean }): Promise<StoredToken[]>;
  get(id: number): Promise<StoredToken>;
  /** Revokes token `id` (NotFound for an unknown one; a revoked one stays revoked). */
  revoke(id: number): Promise<StoredToken>;
  /** Revokes every live token of `user` (deleted or disabled users), or every bootstrap token (rotation). */
  revokeAll(filter: { user: string } | { kind: 'bootstrap' }): Promise<number>;
}

/** The sha256 of a token's secret, as stored. */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** A fresh token secret. */
export const newSecret = (): string => `berth_${randomBytes(24).toString('base64url')}`;

/** How often a token's last use is written (a busy CLI must not write on every request). */
const LAST_USED_EVERY_MS = 60_000;

function scopesOf(json: string | null): Permission[] | null {
  if (json === null) return null;
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((p): p is Permission => typeof p === 'string' && isPermission(p)) : [];
}

function toToken(r: Selectable<TokensTable>): StoredToken {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as TokenKind,
    user: r.user,
    description: r.description,
    scopes: scopesOf(r.scopes),
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

export function createTokenStore(db: Kysely<Database>, now: () => Date = () => new Date()): TokenStore {
  const get = async (id: number): Promise<StoredToken> => {
    const row = await db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`no token ${id}`, { details: { token: id } });
    return toToken(row);
  };
  return {
    async issue(o) {
      const secret = newSecret();
      const { id } = await db
        .insertInto('tokens')
        .values({
          name: o.name,
          hash: hashSecret(secret),
          created_at: now().toISOString(),
          kind: o.kind,
          user: o.user ?? null,
          description: o.description ?? null,
          scopes: o.scopes ? JSON.stringify([...o.scopes]) : null,
          expires_at: o.expiresAt ? o.expiresAt.toISOString() : null,
          created_by: o.createdBy,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { secret, token: await get(id) };
    },
    async verify(secret) {
      const row = await db.selectFrom('tokens').selectAll().where('hash', '=', hashSecret(secret)).executeTakeFirst();
      if (!row || row.revoked_at !== null) return undefined;
      const t = now();
      if (row.expires_at !== null && Date.parse(row.expires_at) <= t.getTime()) return undefined;
      if (row.last_used_at === null || t.getTime() - Date.parse(row.last_used_at) >= LAST_USED_EVERY_MS) {
        row.last_used_at = t.toISOString();
        await db.updateTable('tokens').set({ last_used_at: row.last_used_at }).where('id', '=', row.id).execute();
      }
      return toToken(row);
    },
    async list(filter = {}) {
      let q = db.selectFrom('tokens').selectAll().orderBy('id');
      if (filter.user !== undefined) q = q.where('user', '=', filter.user);
      if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
      if (!filter.includeRevoked) q = q.where('revoked_at', 'is', null);
      return (await q.execute()).map(toToken);
    },
    get,
    async revoke(id) {
      await get(id);
      await db
        .updateTable('tokens')
        .set({ revoked_at: now().toISOString() })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
      return get(id);
    },
    async revokeAll(filter) {
      let q = db.updateTable('tokens').set({ revoked_at: now().toISOString() }).where('revoked_at', 'is', null);
      q = 'user' in filter ? q.where('user', '=', filter.user) : q.where('kind', '=', 'bootstrap');
      const r = await q.executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
  };
}
