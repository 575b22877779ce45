/**
 * The code snapshots under `<BERTH_HOME>/artifacts/`: files stored once by sha256 (`blobs/`), one
 * manifest per snapshot (`manifests/<hex>.json`), and each pinned snapshot materialized read-only
 * (`trees/<hex>/`, hard links to the blobs) for replicas to run in. Garbage collection removes what no
 * kept digest refers to. See docs/releases.md "Code pinning".
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  chmod,
  copyFile,
  link,
  lstat,
  mkdir,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../errors.js';
import {
  DEFAULT_LIMITS,
  HashCache,
  manifestDigest,
  readManifest,
  type CodeManifest,
  type ManifestEntry,
  type SnapshotLimits,
} from './codeSnapshot.js';

const HEX = /^sha256:([0-9a-f]{64})$/;

/** Removed by `collect` only when older than this: a deploy that is pinning right now keeps what it wrote. */
export const GC_GRACE_MS = 10 * 60_000;

export interface CodeStoreOptions {
  root: string;
  limits?: SnapshotLimits;
}

export interface Snapshot {
  digest: string;
  manifest: CodeManifest;
}

function hexOf(digest: string): string {
  const m = HEX.exec(digest);
  if (!m) throw new NotFoundError(`${JSON.stringify(digest)} is not a code digest (sha256:<64 hex digits>)`);
  return m[1]!;
}

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const exists = (p: string): Promise<boolean> =>
  lstat(p).then(
    () => true,
    () => false,
  );

/** Makes every folder under `dir` writable again (a materialized tree is read-only), so it can be removed. */
async function unlock(dir: string): Promise<void> {
  await chmod(dir, 0o755).catch(() => undefined);
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => []))
    if (e.isDirectory()) await unlock(join(dir, e.name));
}

export class CodeStore {
  readonly root: string;
  private readonly limits: SnapshotLimits;
  /** The hashes of files read before: an unchanged file is not read again. */
  readonly hashes = new HashCache();

  constructor(opts: CodeStoreOptions) {
    this.root = opts.root;
    this.limits = opts.limits ?? DEFAULT_LIMITS;
  }

  private blob(e: Extract<ManifestEntry, { type: 'file' }>): string {
    return join(this.root, 'blobs', `${e.sha256}${e.exec ? '.x' : ''}`);
  }

  private manifestFile(digest: string): string {
    return join(this.root, 'manifests', `${hexOf(digest)}.json`);
  }

  /** The folder a pinned snapshot's replicas run in (it exists once `materialize` has run). */
  treeOf(digest: string): string {
    return join(this.root, 'trees', hexOf(digest));
  }

  /** Reads `dir` and records its manifest, storing no file: what a plan compares (no replica runs it). */
  async look(dir: string, what: string, field?: string): Promise<Snapshot> {
    const manifest = await readManifest(dir, what, this.limits, field, this.hashes);
    const digest = manifestDigest(manifest);
    await this.writeManifest(digest, manifest);
    return { digest, manifest };
  }

  /** Snapshots `dir`: its files stored (once per content), its manifest written, its tree materialized. */
  async pin(dir: string, what: string, field?: string): Promise<Snapshot> {
    const manifest = await readManifest(dir, what, this.limits, field, this.hashes);
    await mkdir(join(this.root, 'blobs'), { recursive: true });
    for (const e of manifest.entries) {
      if (e.type !== 'file') continue;
      const blob = this.blob(e);
      const now = new Date();
      // Present: touched, so a collection running now keeps it for the manifest about to refer to it.
      if (
        await utimes(blob, now, now).then(
          () => true,
          () => false,
        )
      )
        continue;
      const tmp = `${blob}.${randomBytes(6).toString('hex')}.tmp`;
      await copyFile(join(dir, e.path), tmp);
      if ((await hashFile(tmp)) !== e.sha256) {
        await rm(tmp, { force: true });
        throw new ConflictError(`${what}: ${e.path} changed while it was being pinned; deploy again`);
      }
      await chmod(tmp, e.exec ? 0o555 : 0o444);
      await rename(tmp, blob);
    }
    const digest = manifestDigest(manifest);
    await this.writeManifest(digest, manifest);
    await this.materialize(digest);
    return { digest, manifest };
  }

  /** The manifest of a recorded snapshot; undefined when it is not (or no longer) here. */
  async manifest(digest: string): Promise<CodeManifest | undefined> {
    const text = await readFile(this.manifestFile(digest), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as CodeManifest);
  }

  private async writeManifest(digest: string, manifest: CodeManifest): Promise<void> {
    const file = this.manifestFile(digest);
    await mkdir(join(this.root, 'manifests'), { recursive: true });
    const now = new Date();
    if (
      await utimes(file, now, now).then(
        () => true,
        () => false,
      )
    )
      return;
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(manifest));
    await rename(tmp, file);
  }

  /**
   * The snapshot's tree, made when missing: folders read-only, files hard links to the read-only blobs
   * (copies where the file system refuses a link). Fails when the snapshot or one of its files is gone.
   */
  async materialize(digest: string): Promise<string> {
    const tree = this.treeOf(digest);
    if (await exists(tree)) return tree;
    const manifest = await this.manifest(digest);
    if (!manifest) throw new NotFoundError(`the code snapshot ${digest} is not stored under ${this.root}`);
    await mkdir(join(this.root, 'trees'), { recursive: true });
    const tmp = `${tree}.${randomBytes(6).toString('hex')}.tmp`;
    await mkdir(tmp);
    try {
      const dirs: string[] = [];
      for (const e of manifest.entries) {
        const to = join(tmp, e.path);
        if (e.type === 'dir') {
          await mkdir(to);
          dirs.push(to);
        } else if (e.type === 'link') await symlink(e.target, to);
        else {
          const from = this.blob(e);
          if (!(await exists(from)))
            throw new NotFoundError(`the code snapshot ${digest} lacks the content of ${e.path} (${from})`);
          await link(from, to).catch(async () => {
            await copyFile(from, to);
            await chmod(to, e.exec ? 0o555 : 0o444);
          });
        }
      }
      for (const d of dirs.reverse()) await chmod(d, 0o555);
      await chmod(tmp, 0o555);
      await rename(tmp, tree).catch(async (err: unknown) => {
        // Another deploy materialized it meanwhile: theirs is the same content.
        if (!(await exists(tree))) throw err;
        await unlock(tmp);
        await rm(tmp, { recursive: true, force: true });
      });
    } catch (err) {
      await unlock(tmp);
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return tree;
  }

  /**
   * Removes the snapshots (manifests and trees) not in `keep`, then the files no kept manifest refers
   * to; anything written in the last `graceMs` stays (a deploy may be pinning it now).
   */
  async collect(
    keep: ReadonlySet<string>,
    graceMs = GC_GRACE_MS,
  ): Promise<{ snapshots: number; files: number; bytes: number }> {
    const cutoff = Date.now() - graceMs;
    const old = async (p: string): Promise<boolean> =>
      (await stat(p).then(
        (s) => s.mtimeMs,
        () => Infinity,
      )) < cutoff;
    const keptHex = new Set([...keep].flatMap((d) => (HEX.test(d) ? [hexOf(d)] : [])));
    const referenced = new Set<string>();
    let snapshots = 0;
    const manifests = join(this.root, 'manifests');
    for (const name of await readdir(manifests).catch(() => [] as string[])) {
      const hex = name.replace(/\.json$/, '');
      const file = join(manifests, name);
      if (name.endsWith('.json') && (keptHex.has(hex) || !(await old(file)))) {
        const m = await this.manifest(`sha256:${hex}`);
        for (const e of m?.entries ?? []) if (e.type === 'file') referenced.add(this.blob(e));
        continue;
      }
      await rm(file, { force: true });
      snapshots++;
    }
    const trees = join(this.root, 'trees');
    for (const name of await readdir(trees).catch(() => [] as string[])) {
      const hex = name.replace(/\..*$/, '');
      if (keptHex.has(hex) || (name === hex && (await exists(join(manifests, `${hex}.json`))))) continue;
      if (name !== hex && !(await old(join(trees, name)))) continue; // a tree being made right now
      await unlock(join(trees, name));
      await rm(join(trees, name), { recursive: true, force: true });
    }
    let files = 0;
    let bytes = 0;
    const blobs = join(this.root, 'blobs');
    for (const name of await readdir(blobs).catch(() => [] as string[])) {
      const file = join(blobs, name);
      if (referenced.has(file) || !(await old(file))) continue;
      bytes += (await stat(file).catch(() => undefined))?.size ?? 0;
      await rm(file, { force: true });
      files++;
    }
    return { snapshots, files, bytes };
  }
}
