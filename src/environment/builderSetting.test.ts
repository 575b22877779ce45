import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { openStore, type Store } from '../store/store.js';
import { createEnvironments, type Environments } from './environments.js';

describe("environments: a Kubernetes target's builder image (berth env set --builder-image)", () => {
  let dir: string;
  let store: Store;
  let envs: Environments;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-env-'));
    store = await openStore({ file: join(dir, 'berth.db') });
    envs = createEnvironments(store.db);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is set, kept, and removed (back to the default)', async () => {
    await envs.create({ name: 'prod', target: { kind: 'kubernetes', namespace: 'prod' } });
    const image = 'mirror.example.com:5000/kaniko/executor:v1.23.2';
    expect((await envs.setEdge('prod', { builderImage: image })).target).toMatchObject({ builderImage: image });
    expect((await envs.get('prod')).target).toMatchObject({ builderImage: image });
    const pinned = `mirror.example.com/kaniko@sha256:${'0f'.repeat(32)}`;
    expect((await envs.setEdge('prod', { builderImage: pinned })).target).toMatchObject({ builderImage: pinned });
    expect((await envs.setEdge('prod', { builderImage: null })).target).toEqual({
      kind: 'kubernetes',
      namespace: 'prod',
    });
  });

  it('refuses an unpinned or malformed image, naming the field, and an environment on this machine', async () => {
    await envs.create({ name: 'prod', target: { kind: 'kubernetes', namespace: 'prod' } });
    for (const bad of ['mirror.example.com/kaniko', 'mirror.example.com/kaniko:latest', 'Mirror/Kaniko:v1', 'a b:v1']) {
      const err = await envs.setEdge('prod', { builderImage: bad }).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems.map((p) => p.path)).toEqual(['builderImage']);
    }
    await envs.create({ name: 'dev', target: { kind: 'local' } });
    const err = await envs.setEdge('dev', { builderImage: 'mirror.example.com/kaniko:v1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toContain('runs on this machine');
  });
});
