/**
 * Code pinning in render and plan, on real folders: the services that get a snapshot, the replicas'
 * cwd in its tree while the stored view keeps the folder, the hash that follows the code, and the
 * plan's `code changed: N files`.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodeStore } from '../artifacts/codeStore.js';
import { limitsFromEnv } from '../artifacts/codeSnapshot.js';
import { parseSpec } from '../spec/load.js';
import { renderRelease } from './render.js';
import { planContextOf, planRelease } from './plan.js';
import { codeChangesOf, pinCode } from './pinCode.js';

let dir: string;
let store: CodeStore;
let home: string;

const SPEC = `name: shop
services:
  api:
    command: node server.js
    cwd: ./api
    ports: [{ name: http, port: 8080 }]
  cache:
    command: redis-server
    cwd: ./api
    pinCode: false
    ports: [{ name: redis, port: 6379 }]
  tool:
    command: ./tool.sh
  whole:
    command: ./tool.sh
    pinCode: true
`;
const FILE = (): string => join(dir, 'berth.yaml');
const SPEC_OBJ = () => parseSpec(SPEC, FILE()).spec;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-pincode-'));
  await mkdir(join(dir, 'api'));
  await writeFile(join(dir, 'api', 'server.js'), 'v1\n');
  await writeFile(join(dir, 'berth.yaml'), SPEC);
  home = await mkdtemp(join(tmpdir(), 'berth-pincode-home-'));
  store = new CodeStore({ root: join(home, 'artifacts') });
});

afterEach(async () => {
  const unlock = async (d: string): Promise<void> => {
    await chmod(d, 0o755).catch(() => undefined);
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => []))
      if (e.isDirectory()) await unlock(join(d, e.name));
  };
  for (const d of [dir, home]) {
    await unlock(d);
    await rm(d, { recursive: true, force: true });
  }
});

function render(codes?: Record<string, string>, kind = 'local') {
  const file = join(dir, 'berth.yaml');
  const loaded = parseSpec(SPEC, file);
  return renderRelease({
    spec: loaded.spec,
    file,
    positionOf: loaded.positionOf,
    environment: { name: 'local', defaults: {}, target: { kind } },
    config: { version: 1, values: {}, files: {} },
    addresses: {
      api: { host: '127.0.0.1', port: 41002, url: 'http://127.0.0.1:41002' },
      cache: { host: '127.0.0.1', port: 41003, url: 'http://127.0.0.1:41003' },
    },
    revision: 1,
    digestSecret: (s) => `d${s.length}`,
    ...(codes ? { codes: { digests: codes, treeOf: (d: string) => store.treeOf(d) } } : {}),
  });
}

describe('code pinning', () => {
  it('snapshots the services with a folder; replicas run its tree, the revision records the digest', async () => {
    const first = render();
    const codes = await pinCode(store, first.states, SPEC_OBJ(), FILE(), { store: true });
    // cache says pinCode: false; tool runs in the berth.yaml folder (the default cwd), whole asks for it.
    expect(Object.keys(codes!)).toEqual(['api', 'whole']);
    const pinned = render(codes);
    expect(pinned.rendered.codes).toEqual(codes);
    expect(pinned.states.api!.workload.cwd).toBe(store.treeOf(codes!.api!));
    expect(pinned.rendered.services.api!.workload).toMatchObject({ cwd: join(dir, 'api'), codeDigest: codes!.api });
    expect(pinned.states.cache!.workload.codeDigest).toBeUndefined();
    expect(pinned.rendered.services.api!.hash).not.toBe(first.rendered.services.api!.hash);
    // Clusters run images: a code digest is not theirs.
    expect(render(codes, 'kubernetes').rendered.codes).toBeUndefined();

    await writeFile(join(dir, 'api', 'server.js'), 'v2\n');
    await writeFile(join(dir, 'api', 'extra.js'), 'new\n');
    const looked = await pinCode(store, first.states, SPEC_OBJ(), FILE(), { store: false });
    expect(looked!.api).not.toBe(codes!.api);
    // A plan stores no file: only the manifest it compares.
    expect(await readdir(join(home, 'artifacts', 'blobs'))).toHaveLength(2);
    const next = render(looked);
    const ctx = {
      ...planContextOf([], false),
      codeChanges: await codeChangesOf(store, pinned.rendered, next.rendered),
    };
    const plan = planRelease(pinned.rendered, next.rendered, ctx);
    expect(plan.services.find((s) => s.service === 'api')).toMatchObject({
      action: 'update',
      restart: true,
      changes: [{ path: 'code', from: codes!.api, to: looked!.api, because: ['code changed: 2 files'] }],
    });
    expect(plan.services.find((s) => s.service === 'cache')!.action).toBe('unchanged');
  });

  it('names the service and field of a folder that is missing', async () => {
    await rm(join(dir, 'api'), { recursive: true });
    const err = await pinCode(store, render().states, SPEC_OBJ(), FILE(), { store: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      message: expect.stringMatching(/the code of service api cannot be pinned: .*\/api is not a folder/),
      problems: [{ path: 'services.api.cwd' }],
    });
  });

  it('reads its limits from the environment and refuses a bad one', () => {
    expect(limitsFromEnv({ BERTH_CODE_MAX_BYTES: '1000', BERTH_CODE_MAX_FILES: '' })).toEqual({
      maxBytes: 1000,
      maxEntries: 50_000,
    });
    expect(() => limitsFromEnv({ BERTH_CODE_MAX_FILES: '-3' })).toThrow(
      /BERTH_CODE_MAX_FILES must be a whole number above 0, not "-3"/,
    );
  });
});
