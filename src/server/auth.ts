/**
 * API tokens: created on first start, stored hashed (sha256) in the store, and written in plain text
 * for the CLI into `<home>/token` with mode 0600. Every route but the health check needs one.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { tokenFile } from './serverInfo.js';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Ensures an admin token exists; returns the stored hashes for verification. */
export async function ensureToken(db: Kysely<Database>, home: string): Promise<void> {
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
    .values({ name: 'admin', hash: hashToken(token), created_at: new Date().toISOString() })
    .execute();
  await writeFile(tokenFile(home), `${token}\n`, { mode: 0o600 });
  await chmod(tokenFile(home), 0o600);
}

/** Verifies a bearer token against the stored hashes in constant time per comparison. */
export function createTokenVerifier(db: Kysely<Database>): (token: string | undefined) => Promise<boolean> {
  return async (token) => {
    if (!token) return false;
    const h = Buffer.from(hashToken(token), 'hex');
    const rows = await db.selectFrom('tokens').select('hash').execute();
    return rows.some((r) => {
      const other = Buffer.from(r.hash, 'hex');
      return other.length === h.length && timingSafeEqual(other, h);
    });
  };
}
