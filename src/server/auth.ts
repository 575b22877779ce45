/**
 * The bootstrap admin token: created on first start, stored hashed in the store, and written in plain
 * text for the CLI into `<home>/token` with mode 0600. It acts as its owner's name and may do anything
 * (docs/access.md); `berth token rotate-bootstrap` replaces it. Users, their tokens and roles are in
 * src/access/.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { tokenFile } from './serverInfo.js';
import type { TokenStore } from '../access/tokens.js';

/** Writes a bootstrap token's secret where the CLI reads it (mode 0600). */
export async function writeTokenFile(home: string, secret: string): Promise<void> {
  await writeFile(tokenFile(home), `${secret}\n`, { mode: 0o600 });
  await chmod(tokenFile(home), 0o600);
}

/**
 * Ensures a live bootstrap token exists and the CLI has its copy; a fresh one is owned by `owner` (the
 * author of what is changed with it).
 */
export async function ensureToken(tokens: TokenStore, home: string, owner: string): Promise<void> {
  let copy = '';
  try {
    copy = (await readFile(tokenFile(home), 'utf8')).trim();
  } catch {
    copy = '';
  }
  if (copy && (await tokens.verify(copy))) return;
  // No token yet, or the CLI's copy was lost or is no longer valid: issue a fresh bootstrap token (other live ones stay valid).
  const { secret } = await tokens.issue({
    name: owner,
    kind: 'bootstrap',
    createdBy: owner,
    description: 'bootstrap admin token',
  });
  await writeTokenFile(home, secret);
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
