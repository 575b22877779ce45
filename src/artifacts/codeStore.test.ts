import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodeStore } from './codeStore.js';
import { compareManifests, readManifest } from './codeSnapshot.js';

let base: string;
let src: string;
let store: CodeStore;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'berth-code-'));
  src = join(base, 'web');
  await mkdir(join(src, 'lib'), { recursive: true });
  await writeFile(join(src, 'server.js'), 'console.log("v1")\n');
  await writeFile(join(src, 'lib', 'util.js'), 'module.exports = 1\n');
  await writeFile(join(src, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  await symlink('server.js', join(src, 'main.js'));
  store = new CodeStore({ root: join(base, 'artifacts') });
});

afterEach(async () => {
  await chmod(base, 0o755);
  const unlock = async (d: string): Promise<void> => {
    await chmod(d, 0o755).catch(() => undefined);
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => []))
      if (e.isDirectory()) await unlock(join(d, e.name));
  };
  await unlock(base);
  await rm(base, { recursive: true, force: true });
});

const blobs = async (): Promise<string[]> => (await readdir(join(base, 'artifacts', 'blobs'))).sort();

describe('code snapshots', () => {
  it('records path, hash, mode and links; ignores .git; the digest follows the content only', async () => {
    await mkdir(join(src, '.git'));
    await writeFile(join(src, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const m = await readManifest(src, 'the code of web');
    expect(m.entries.map((e) => e.path)).toEqual(['lib', 'lib/util.js', 'main.js', 'run.sh', 'server.js']);
    expect(m.entries.find((e) => e.path === 'run.sh')).toMatchObject({ type: 'file', exec: true, size: 18 });
    expect(m.entries.find((e) => e.path === 'server.js')).toMatchObject({ type: 'file', exec: false });
    expect(m.entries.find((e) => e.path === 'main.js')).toEqual({ path: 'main.js', type: 'link', target: 'server.js' });
    const a = await store.pin(src, 'the code of web');
    await writeFile(join(src, '.git', 'HEAD'), 'ref: refs/heads/other\n');
    expect((await store.look(src, 'x')).digest).toBe(a.digest);
    await writeFile(join(src, 'server.js'), 'console.log("v2")\n');
    const b = await store.look(src, 'x');
    expect(b.digest).not.toBe(a.digest);
    expect(compareManifests(a.manifest, b.manifest)).toEqual({ added: [], removed: [], changed: ['server.js'] });
  });

  it('stores each content once across snapshots and materializes a read-only tree of hard links', async () => {
    const a = await store.pin(src, 'the code of web');
    expect(await blobs()).toHaveLength(3);
    await writeFile(join(src, 'server.js'), 'console.log("v2")\n');
    const b = await store.pin(src, 'the code of web');
    // Only the changed file is new.
    expect(await blobs()).toHaveLength(4);
    const treeA = store.treeOf(a.digest);
    expect(await readFile(join(treeA, 'server.js'), 'utf8')).toBe('console.log("v1")\n');
    expect(await readFile(join(store.treeOf(b.digest), 'server.js'), 'utf8')).toBe('console.log("v2")\n');
    expect(await readFile(join(treeA, 'main.js'), 'utf8')).toBe('console.log("v1")\n');
    const util = await stat(join(treeA, 'lib', 'util.js'));
    expect(util.nlink).toBeGreaterThanOrEqual(3); // blob + two trees
    expect(util.mode & 0o777).toBe(0o444);
    expect((await stat(join(treeA, 'run.sh'))).mode & 0o777).toBe(0o555);
    expect((await stat(join(treeA, 'lib'))).mode & 0o777).toBe(0o555);
    // A tree removed by hand is made again from the stored files.
    await chmod(treeA, 0o755);
    await chmod(join(treeA, 'lib'), 0o755);
    await rm(treeA, { recursive: true });
    expect(await readFile(join(await store.materialize(a.digest), 'server.js'), 'utf8')).toBe('console.log("v1")\n');
  });

  it('reads again only the files that changed since the last snapshot', async () => {
    await store.pin(src, 'web');
    expect(store.hashes.hashed).toBe(3);
    await store.look(src, 'web');
    expect(store.hashes.hashed).toBe(3);
    // Same size: the write still changes the file's ctime, so it is read again.
    await writeFile(join(src, 'server.js'), 'console.log("v9")\n');
    const b = await store.pin(src, 'web');
    expect(store.hashes.hashed).toBe(4);
    expect(await readFile(join(store.treeOf(b.digest), 'server.js'), 'utf8')).toBe('console.log("v9")\n');
  });

  it('refuses a folder over the size bound, naming it, and a missing folder', async () => {
    const small = new CodeStore({ root: join(base, 'small'), limits: { maxBytes: 30, maxEntries: 100 } });
    await expect(small.pin(src, 'the code of service web')).rejects.toThrow(
      /the code of service web \(.*\/web\) is too large to pin: more than 30 bytes/,
    );
    const few = new CodeStore({ root: join(base, 'few'), limits: { maxBytes: 1e6, maxEntries: 2 } });
    await expect(few.look(src, 'the code of service web')).rejects.toThrow(/more than 2 files and folders/);
    await expect(store.pin(join(base, 'nope'), 'the code of service api')).rejects.toThrow(
      /the code of service api cannot be pinned: .*nope is not a folder/,
    );
  });

  it('collects the snapshots and files no kept digest refers to', async () => {
    const a = await store.pin(src, 'web');
    await writeFile(join(src, 'server.js'), 'console.log("v2")\n');
    const b = await store.pin(src, 'web');
    // Inside the grace period nothing goes, even what nothing keeps.
    expect(await store.collect(new Set())).toEqual({ snapshots: 0, files: 0, bytes: 0 });
    const r = await store.collect(new Set([b.digest]), 0);
    expect(r).toEqual({ snapshots: 1, files: 1, bytes: 18 });
    expect(await store.manifest(a.digest)).toBeUndefined();
    expect(await readdir(join(base, 'artifacts', 'trees'))).toEqual([b.digest.slice('sha256:'.length)]);
    expect(await blobs()).toHaveLength(3);
    expect(await readFile(join(store.treeOf(b.digest), 'server.js'), 'utf8')).toBe('console.log("v2")\n');
    await store.collect(new Set(), 0);
    expect(await blobs()).toEqual([]);
    expect(await readdir(join(base, 'artifacts', 'trees'))).toEqual([]);
  });
});
