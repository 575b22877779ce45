/**
 * The tokens `berth login` got, per control plane: `<home>/credentials.json` (mode 0600), keyed by the
 * control plane's URL. The client sends the one of its control plane (after --token and BERTH_TOKEN,
 * before the bootstrap token file); an expired one is skipped.
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Credential {
  token: string;
  user: string;
  expiresAt: string | null;
}

export const credentialsFile = (home: string): string => join(home, 'credentials.json');

async function readAll(home: string): Promise<Map<string, Credential>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(credentialsFile(home), 'utf8'));
  } catch {
    return new Map();
  }
  const all = new Map<string, Credential>();
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return all;
  for (const [server, c] of Object.entries(parsed as Record<string, unknown>)) {
    const cred = c as Partial<Credential> | null;
    if (cred && typeof cred.token === 'string' && typeof cred.user === 'string')
      all.set(server, { token: cred.token, user: cred.user, expiresAt: cred.expiresAt ?? null });
  }
  return all;
}

/** Stores `cred` as the credential for the control plane at `server` (replacing the one it had). */
export async function saveCredential(home: string, server: string, cred: Credential): Promise<void> {
  const all = await readAll(home);
  all.set(server, cred);
  const file = credentialsFile(home);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(Object.fromEntries(all), null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** The live credential for the control plane at `server`, if any. */
export async function readCredential(home: string, server: string): Promise<Credential | undefined> {
  const all = await readAll(home);
  const c = all.has(server) ? all.get(server) : undefined;
  if (!c || (c.expiresAt !== null && Date.parse(c.expiresAt) <= Date.now())) return undefined;
  return c;
}
