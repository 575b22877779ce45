/**
 * Code collection against a real store: the snapshots of every stored release stay (a rollback's
 * target included), the others go with the files only they had.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodeStore } from '../artifacts/codeStore.js';
import { openStore, type Store } from '../store/store.js';
import { parseSpec } from '../spec/load.js';
import { ReleaseKind } from '../model/releaseStatus.js';
import { Releases } from './releases.js';
import { collectCode } from './codeCollection.js';

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-codegc-'));
  store = await openStore({ file: join(dir, 'berth.db') });
});
afterEach(async () => {
  await store.close();
  const unlock = async (d: string): Promise<void> => {
    await chmod(d, 0o755).catch(() => undefined);
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => []))
      if (e.isDirectory()) await unlock(join(d, e.name));
  };
  await unlock(dir);
  await rm(dir, { recursive: true, force: true });
});

describe('code collection', () => {
  it('keeps the snapshots stored releases run and removes the rest', async () => {
    const code = new CodeStore({ root: join(dir, 'artifacts') });
    const src = join(dir, 'web');
    await mkdir(src);
    const digests: string[] = [];
    for (const v of ['1', '2', '3']) {
      await writeFile(join(src, 'server.js'), `v${v}\n`);
      await writeFile(join(src, 'shared.js'), 'shared\n');
      digests.push((await code.pin(src, 'web')).digest);
    }
    const releases = new Releases(store.db);
    const spec = parseSpec('name: shop\nservices:\n  web: { command: node server.js }\n', join(dir, 'berth.yaml')).spec;
    // Revisions 1 and 3 are stored (3 running, 1 a rollback's target); the second snapshot is only a plan's.
    for (const d of [digests[0]!, digests[2]!])
      await releases.create({
        app: 'shop',
        env: 'local',
        kind: ReleaseKind.deploy,
        spec,
        specDigest: 'x',
        specFile: join(dir, 'berth.yaml'),
        configVersion: 0,
        rendered: {
          app: 'shop',
          env: 'local',
          configVersion: 0,
          levels: [],
          services: {},
          routes: [],
          codes: { web: d },
        },
        rollbackPolicy: 'none',
        author: 'test',
      });
    expect(await releases.codeDigests()).toEqual(new Set([digests[0], digests[2]]));
    expect(await collectCode(code, releases, 0)).toEqual({ snapshots: 1, files: 1, bytes: 3 });
    expect(await code.manifest(digests[1]!)).toBeUndefined();
    expect(await code.manifest(digests[0]!)).toBeDefined();
    // The kept snapshots are whole: their trees are made again from the stored files.
    await code.materialize(digests[0]!);
    expect((await readdir(join(dir, 'artifacts', 'trees'))).sort()).toEqual(
      [digests[0]!, digests[2]!].map((d) => d.slice('sha256:'.length)).sort(),
    );
    expect(await readdir(join(dir, 'artifacts', 'blobs'))).toHaveLength(3);
  });
});
