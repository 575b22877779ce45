/**
 * What `berth login` keeps: one token per control-plane URL in `<home>/credentials.json` (mode 0600),
 * `{ servers: { URL: { token, user, id, expiresAt } } }`. The client uses it after --token and
 * BERTH_TOKEN, before the bootstrap token of `<home>/token` (client.ts).
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Credential {
  token: string;
  user: string;
  id: number;
  expiresAt: string | null;
}

interface CredentialsFile {
  servers: Record<string, Credential>;
}

export const credentialsFile = (home: string): string => join(home, 'credentials.json');

async function readAll(home: string): Promise<Map<string, Credential>> {
  let text: string;
  try {
    text = await readFile(credentialsFile(home), 'utf8');
  } catch {
    return new Map();
  }
  try {
    const parsed = JSON.parse(text) as Partial<CredentialsFile>;
    const servers = parsed.servers && typeof parsed.servers === 'object' ? parsed.servers : {};
    return new Map(Object.entries(servers).filter(([, c]) => typeof c?.token === 'string'));
  } catch {
    return new Map(); // a damaged file signs nobody in; the next login rewrites it
  }
}

async function writeAll(home: string, all: Map<string, Credential>): Promise<void> {
  await mkdir(home, { recursive: true });
  const file = credentialsFile(home);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ servers: Object.fromEntries(all) }, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** The credential `berth login` stored for `url`, if any. */
export async function credentialFor(home: string, url: string): Promise<Credential | undefined> {
  const all = await readAll(home);
  return all.has(url) ? all.get(url) : undefined;
}

export async function saveCredential(home: string, url: string, c: Credential): Promise<void> {
  const all = await readAll(home);
  all.set(url, c);
  await writeAll(home, all);
}

export async function removeCredential(home: string, url: string): Promise<void> {
  const all = await readAll(home);
  if (all.delete(url)) await writeAll(home, all);
}
