/**
 * A content-addressed snapshot of a folder of code: a manifest (path → sha256, executable bit; links
 * and folders) whose own sha256 is the snapshot's digest. Reading a folder into a manifest is here;
 * storing its files and materializing it again is codeStore.ts. See docs/releases.md "Code pinning".
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJSON } from '../canonical.js';
import { TooLargeError, ValidationError } from '../errors.js';

/** One entry of a snapshot, by its path relative to the folder ('/'-separated). */
export type ManifestEntry =
  | { path: string; type: 'file'; sha256: string; size: number; exec: boolean }
  | { path: string; type: 'link'; target: string }
  | { path: string; type: 'dir' };

export interface CodeManifest {
  /** Entries sorted by path. */
  entries: ManifestEntry[];
}

export interface SnapshotLimits {
  /** The most bytes of file content a snapshot may hold. */
  maxBytes: number;
  /** The most entries (files, links, folders) a snapshot may hold. */
  maxEntries: number;
}

export const DEFAULT_LIMITS: SnapshotLimits = { maxBytes: 256 * 1024 * 1024, maxEntries: 50_000 };

/** Names never part of a snapshot, at any depth: version control metadata is not code a replica runs. */
export const IGNORED_NAMES: ReadonlySet<string> = new Set(['.git', '.hg', '.svn']);

/**
 * Hashes already computed, by a file's identity and change stamps (device, inode, size, mtime and
 * ctime: any write changes ctime), so a deploy or plan re-reads only the files that changed.
 */
export class HashCache {
  private readonly map = new Map<string, string>();
  /** Files actually read and hashed (the rest came from the cache). */
  hashed = 0;
  private readonly maxEntries: number;
  constructor(maxEntries = 200_000) {
    this.maxEntries = maxEntries;
  }
  async hash(
    file: string,
    st: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number },
  ): Promise<string> {
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const known = this.map.get(key);
    if (known !== undefined) return known;
    const h = await hashFile(file);
    this.hashed++;
    if (this.map.size >= this.maxEntries) this.map.clear();
    this.map.set(key, h);
    return h;
  }
}

/** `sha256:<hex>` of a manifest: the snapshot's digest. */
export function manifestDigest(m: CodeManifest): string {
  return `sha256:${createHash('sha256').update(canonicalJSON(m)).digest('hex')}`;
}

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Reads `dir` into a manifest. `what` names the folder in errors (`the code of service web`).
 * Sockets, pipes and devices are left out (they are not code); a folder over a limit is refused.
 */
export async function readManifest(
  dir: string,
  what: string,
  limits: SnapshotLimits = DEFAULT_LIMITS,
  /** The field that names the folder, for the problem of a folder that is not there. */
  field = 'cwd',
  cache?: HashCache,
): Promise<CodeManifest> {
  const top = await lstat(dir).catch(() => undefined);
  if (!top?.isDirectory())
    throw new ValidationError(`${what} cannot be pinned: ${dir} is not a folder`, [
      { path: field, message: `${dir} does not exist or is not a folder` },
    ]);
  const entries: ManifestEntry[] = [];
  let bytes = 0;
  const over = (why: string): TooLargeError =>
    new TooLargeError(
      `${what} (${dir}) is too large to pin: ${why}; move data out of the service's folder, or raise BERTH_CODE_MAX_BYTES / BERTH_CODE_MAX_FILES`,
      { details: { dir, ...limits } },
    );
  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = (await readdir(abs)).sort();
    for (const name of names) {
      if (IGNORED_NAMES.has(name)) continue;
      const a = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(a);
      if (entries.length >= limits.maxEntries) throw over(`more than ${limits.maxEntries} files and folders`);
      if (st.isSymbolicLink()) entries.push({ path: r, type: 'link', target: await readlink(a) });
      else if (st.isDirectory()) {
        entries.push({ path: r, type: 'dir' });
        await walk(a, r);
      } else if (st.isFile()) {
        bytes += st.size;
        if (bytes > limits.maxBytes) throw over(`more than ${limits.maxBytes} bytes`);
        entries.push({
          path: r,
          type: 'file',
          sha256: cache ? await cache.hash(a, st) : await hashFile(a),
          size: st.size,
          exec: (st.mode & 0o111) !== 0,
        });
      }
    }
  };
  await walk(dir, '');
  entries.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return { entries };
}

/** How two manifests differ: the paths of files and links added, removed and changed. */
export function compareManifests(
  from: CodeManifest,
  to: CodeManifest,
): { added: string[]; removed: string[]; changed: string[] } {
  const key = (e: ManifestEntry): string =>
    e.type === 'file' ? `f${e.sha256}${e.exec ? 'x' : ''}` : e.type === 'link' ? `l${e.target}` : 'd';
  const a = new Map(from.entries.filter((e) => e.type !== 'dir').map((e) => [e.path, key(e)]));
  const b = new Map(to.entries.filter((e) => e.type !== 'dir').map((e) => [e.path, key(e)]));
  return {
    added: [...b.keys()].filter((p) => !a.has(p)),
    removed: [...a.keys()].filter((p) => !b.has(p)),
    changed: [...b].filter(([p, k]) => a.has(p) && a.get(p) !== k).map(([p]) => p),
  };
}

/** The limits from `BERTH_CODE_MAX_BYTES` and `BERTH_CODE_MAX_FILES` (whole numbers), the defaults where unset. */
export function limitsFromEnv(env: NodeJS.ProcessEnv): SnapshotLimits {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new ValidationError(`${name} must be a whole number above 0, not ${JSON.stringify(raw)}`, [
        { file: 'environment', path: name, message: `not a whole number above 0: ${JSON.stringify(raw)}` },
      ]);
    return n;
  };
  return {
    maxBytes: read('BERTH_CODE_MAX_BYTES', DEFAULT_LIMITS.maxBytes),
    maxEntries: read('BERTH_CODE_MAX_FILES', DEFAULT_LIMITS.maxEntries),
  };
}
