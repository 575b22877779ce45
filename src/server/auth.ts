/**
 * API tokens: created on first start, stored hashed (sha256) in the store, and written in plain text
 * for the CLI into `<home>/token` with mode 0600. Every route but the health check needs one. A
 * token's name is its owner: the author of every change made with it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { tokenFile } from './serverInfo.js';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Identity } from './identity.js';

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Ensures an admin token exists and the CLI has its copy; a fresh one is owned by `owner` (the
 * author of what is changed with it).
 */
export async function ensureToken(db: Kysely<Database>, home: string, owner: string): Promise<void> {
  const existing = await db.selectFrom('tokens').select('id').limit(1).executeTakeFirst();
  let haveFile = false;
  try {
    haveFile = (await readFile(tokenFile(home), 'utf8')).trim().length > 0;
  } catch {
    haveFile = false;
  }
  if (existing && haveFile) return;
  // No token yet, or the CLI's copy was lost: issue a fresh admin token (old ones stay valid).
  const token = `berth_${randomBytes(24).toString('base64url')}`;
  await db
    .insertInto('tokens')
    .values({ name: owner, hash: hashToken(token), created_at: new Date().toISOString() })
    .execute();
  await writeFile(tokenFile(home), `${token}\n`, { mode: 0o600 });
  await chmod(tokenFile(home), 0o600);
}

/**
 * Verifies a bearer token against the stored hashes in constant time per comparison; the token's
 * owner, or undefined for a token that is not one of them.
 */
export function createTokenVerifier(
  db: Kysely<Database>,
): (token: string | undefined) => Promise<Identity | undefined> {
  return async (token) => {
    if (!token) return undefined;
    const h = Buffer.from(hashToken(token), 'hex');
    const rows = await db.selectFrom('tokens').select(['hash', 'name']).execute();
    const match = rows.find((r) => {
      const other = Buffer.from(r.hash, 'hex');
      return other.length === h.length && timingSafeEqual(other, h);
    });
    return match ? { name: match.name } : undefined;
  };
}

/** Who owns the admin token a fresh data directory gets: BERTH_TOKEN_OWNER, else the user running the server. */
export function defaultTokenOwner(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.BERTH_TOKEN_OWNER?.trim();
  if (configured) return configured;
  try {
    return userInfo().username || 'admin';
  } catch {
    return 'admin'; // a uid without a passwd entry (some containers)
  }
}
