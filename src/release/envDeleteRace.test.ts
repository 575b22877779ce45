import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEnvironments } from '../environment/environments.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { parseSpec } from '../spec/load.js';
import { openStore, type Store } from '../store/store.js';
import { Releases } from './releases.js';
import { renderRelease } from './render.js';

const SPEC = 'name: shop\nservices:\n  web:\n    image: registry.example/web\n    ports: [80]\n';

/** A deploy's release of shop in `env`, as the engine records it. */
function deployOf(env: string) {
  const loaded = parseSpec(SPEC, '/app/berth.yaml');
  const { rendered } = renderRelease({
    spec: loaded.spec,
    file: loaded.file,
    environment: { name: env, defaults: {} },
    config: { version: 1, values: {}, files: {} },
    addresses: {},
    revision: 1,
    digestSecret: (s) => `d${s.length}`,
  });
  return {
    app: 'shop',
    env,
    kind: 'deploy' as const,
    spec: loaded.spec,
    specDigest: 'x',
    specFile: loaded.file,
    configVersion: 1,
    rendered,
    rollbackPolicy: 'none' as const,
    author: 'test',
  };
}

describe('berth env delete racing a deploy', () => {
  let dir: string;
  let store: Store;
  let deployer: Store;
  let deleter: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-envrace-'));
    // The server's one store (better-sqlite3 blocks the thread while it waits for a lock, so a
    // second connection in this process would deadlock, not race).
    store = await openStore({ file: join(dir, 'berth.db') });
    deployer = store;
    deleter = store;
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('never leaves a release in a deleted environment: one of the two is refused', async () => {
    const envs = createEnvironments(deleter.db);
    const releases = new Releases(deployer.db);
    const outcomes = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const env = `race${i}`;
      await envs.create({ name: env });
      // The deleter has read "nothing runs there" (its check) when the deploy starts: the order
      // in which the two writes reach the database alternates.
      const [deploy, del] = await Promise.allSettled(
        i % 2 === 0
          ? [releases.create(deployOf(env)), envs.delete(env)]
          : [new Promise((r) => setImmediate(r)).then(() => releases.create(deployOf(env))), envs.delete(env)],
      );
      const exists = (await createEnvironments(deployer.db).list()).some((e) => e.name === env);
      const inEnv = (await releases.apps()).filter((a) => a.env === env);
      if (deploy.status === 'fulfilled') {
        expect(del.status, `round ${i}: the delete went through after the deploy`).toBe('rejected');
        expect((del as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
        expect(String((del as PromiseRejectedResult).reason)).toMatch(
          new RegExp(`environment ${env} still runs app shop: take it down first`),
        );
        expect(exists).toBe(true);
        outcomes.add('deploy first');
      } else {
        expect((deploy as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
        expect(String((deploy as PromiseRejectedResult).reason)).toMatch(
          new RegExp(`environment ${env} does not exist`),
        );
        expect(del.status).toBe('fulfilled');
        expect(exists).toBe(false);
        expect(inEnv).toEqual([]);
        outcomes.add('delete first');
      }
    }
    expect([...outcomes].sort()).toEqual(['delete first', 'deploy first']);
  });

  it('refuses to delete while a release is recorded there, and allows it once the app is down', async () => {
    const envs = createEnvironments(deleter.db);
    const releases = new Releases(deployer.db);
    await envs.create({ name: 'qa' });
    const rel = await releases.create(deployOf('qa'));
    await expect(envs.delete('qa')).rejects.toThrow(/environment qa still runs app shop/);
    await releases.setStatus(rel.id, 'succeeded');
    await expect(envs.delete('qa')).rejects.toThrow(/environment qa still runs app shop/);
    const down = await releases.create({ ...deployOf('qa'), kind: 'down' });
    await releases.setStatus(down.id, 'succeeded');
    expect(await envs.delete('qa')).toMatchObject({ name: 'qa' });
    // Its history is kept.
    expect((await releases.list('shop', 'qa', 10)).map((r) => r.kind)).toEqual(['down', 'deploy']);
  });
});
