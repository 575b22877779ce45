import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { openStore, type Store } from '../store/store.js';
import { clusterStorage, createEnvironments, type Environments, type EnvironmentTarget } from './environments.js';

describe('environments: the traffic router of a Kubernetes target', () => {
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

  it('deletes an environment (a method that works detached from the object too), 404 when it does not exist', async () => {
    await envs.create({ name: 'qa' });
    const { delete: remove } = envs;
    expect(await remove('qa')).toMatchObject({ name: 'qa', target: { kind: 'local' } });
    expect((await envs.list()).map((e) => e.name)).toEqual(['local']);
    await expect(envs.delete('qa')).rejects.toThrow(/environment qa does not exist \(known: local\)/);
    // Created again, it starts afresh.
    expect(await envs.create({ name: 'qa', defaults: { A: '1' } })).toMatchObject({ defaults: { A: '1' } });
  });

  it('keeps a validated IANA time zone for cronjobs, settable and removable, on both targets', async () => {
    expect(await envs.create({ name: 'qa', target: { kind: 'local', timeZone: 'Asia/Shanghai' } })).toMatchObject({
      target: { kind: 'local', timeZone: 'Asia/Shanghai' },
    });
    const bad = await envs.create({ name: 'qb', target: { kind: 'local', timeZone: 'Mars/Olympus' } }).catch((e) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(JSON.stringify((bad as ValidationError).toJSON())).toMatch(/target\.timeZone.*must be an IANA time zone/);
    expect((await envs.setEdge('qa', { timeZone: 'Europe/Berlin' })).target).toEqual({
      kind: 'local',
      timeZone: 'Europe/Berlin',
    });
    expect((await envs.setEdge('qa', { timeZone: null })).target).toEqual({ kind: 'local' });
    await envs.create({ name: 'prod', target: { kind: 'kubernetes', namespace: 'shop' } });
    expect((await envs.setEdge('prod', { timeZone: 'America/New_York' })).target).toMatchObject({
      kind: 'kubernetes',
      timeZone: 'America/New_York',
    });
    await expect(envs.setEdge('prod', { edgePort: 9000 })).rejects.toThrow(/runs on Kubernetes/);
    expect((await envs.get('prod')).target).toMatchObject({ timeZone: 'America/New_York' });
  });

  it('keeps a log retention per environment as written, changes and removes each part, and names a bad value', async () => {
    await envs.create({ name: 'qa', target: { kind: 'local', logRetention: { maxAge: '72h' } } });
    expect((await envs.setEdge('qa', { logRetention: { maxSize: '5Gi' } })).target).toEqual({
      kind: 'local',
      logRetention: { maxAge: '72h', maxSize: '5Gi' },
    });
    expect((await envs.setEdge('qa', { logRetention: { maxAge: null } })).target).toEqual({
      kind: 'local',
      logRetention: { maxSize: '5Gi' },
    });
    expect((await envs.setEdge('qa', { logRetention: { maxSize: null } })).target).toEqual({ kind: 'local' });
    await envs.create({ name: 'prod', target: { kind: 'kubernetes', namespace: 'shop' } });
    expect((await envs.setEdge('prod', { logRetention: { maxAge: '30m' } })).target).toMatchObject({
      logRetention: { maxAge: '30m' },
    });
    const bad = await envs.setEdge('qa', { logRetention: { maxAge: 'a week', maxSize: '0' } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).problems.map((p) => [p.file, p.path])).toEqual([
      ['request body', 'logRetention.maxAge'],
      ['request body', 'logRetention.maxSize'],
    ]);
    const unknown = await envs
      .create({ name: 'qb', target: { kind: 'local', logRetention: { maxLines: 5 } as never } })
      .catch((e: unknown) => e);
    expect(JSON.stringify((unknown as ValidationError).toJSON())).toMatch(/target\.logRetention/);
  });

  it('stores the router and the Gateway, and leaves them out when not given', async () => {
    await envs.create({
      name: 'prod',
      target: {
        kind: 'kubernetes',
        namespace: 'shop-prod',
        trafficRouter: 'gatewayApi',
        gateway: { name: 'edge', namespace: 'infra' },
      },
    });
    await envs.create({
      name: 'staging',
      target: { kind: 'kubernetes', namespace: 'shop-staging', trafficRouter: 'ingressNginx' },
    });
    await envs.create({ name: 'dev', target: { kind: 'kubernetes', namespace: 'shop-dev' } });
    expect((await envs.get('prod')).target).toEqual({
      kind: 'kubernetes',
      namespace: 'shop-prod',
      trafficRouter: 'gatewayApi',
      gateway: { name: 'edge', namespace: 'infra' },
    });
    expect((await envs.get('staging')).target).toMatchObject({ trafficRouter: 'ingressNginx' });
    expect((await envs.get('dev')).target).toEqual({ kind: 'kubernetes', namespace: 'shop-dev' });
  });

  it('refuses an unknown router and a bad Gateway name, naming the fields', async () => {
    const err = await envs
      .create({
        name: 'prod',
        target: {
          kind: 'kubernetes',
          namespace: 'shop-prod',
          trafficRouter: 'istio' as 'gatewayApi',
          gateway: { name: 'Edge_1' },
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path).sort()).toEqual([
      'target.gateway.name',
      'target.trafficRouter',
    ]);
  });
});

describe('environments: the storage class of a Kubernetes target', () => {
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

  it('keeps the storage class, hands it (and a time zone) to the manifests, and refuses a bad name', async () => {
    const e = await envs.create({
      name: 'prod',
      target: { kind: 'kubernetes', namespace: 'shop', storageClass: 'fast-ssd' },
    });
    expect(clusterStorage(e.target)).toEqual({ storageClass: 'fast-ssd' });
    expect(clusterStorage({ ...e.target, timeZone: 'Europe/Berlin' } as unknown as EnvironmentTarget)).toEqual({
      storageClass: 'fast-ssd',
      timeZone: 'Europe/Berlin',
    });
    expect(clusterStorage({ kind: 'local' })).toEqual({});
    const bad = envs.create({ name: 'qa', target: { kind: 'kubernetes', namespace: 'qa', storageClass: 'Fast SSD' } });
    await expect(bad).rejects.toThrow(ValidationError);
    await expect(bad).rejects.toMatchObject({ problems: [expect.objectContaining({ path: 'target.storageClass' })] });
  });

  it('keeps volume sizes per environment as bytes, and refuses a bad size naming the volume', async () => {
    const e = await envs.create({
      name: 'big',
      target: { kind: 'kubernetes', namespace: 'big', volumeSizes: { pgdata: '50Gi' } },
    });
    expect(clusterStorage(e.target)).toEqual({ volumeSizes: { pgdata: 50 * 2 ** 30 } });
    expect((await envs.get('big')).target).toMatchObject({ volumeSizes: { pgdata: 50 * 2 ** 30 } });
    const bad = envs.create({
      name: 'odd',
      target: { kind: 'kubernetes', namespace: 'odd', volumeSizes: { pgdata: 'lots' } },
    });
    await expect(bad).rejects.toMatchObject({
      problems: [
        expect.objectContaining({
          path: 'target.volumeSizes.pgdata',
          message: expect.stringContaining('invalid size (use e.g. 64Mi, 1Gi'),
        }),
      ],
    });
  });
});

describe('environments: which services run as containers', () => {
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

  it('keeps the containers mode of a local environment, changes it, and auto is stored as no setting', async () => {
    expect((await envs.create({ name: 'qa', target: { kind: 'local', containers: 'always' } })).target).toEqual({
      kind: 'local',
      containers: 'always',
    });
    expect((await envs.get('qa')).target).toMatchObject({ containers: 'always' });
    expect((await envs.setEdge('qa', { containers: 'never' })).target).toEqual({ kind: 'local', containers: 'never' });
    expect((await envs.get('qa')).target).toEqual({ kind: 'local', containers: 'never' });
    expect((await envs.setEdge('qa', { containers: 'auto' })).target).toEqual({ kind: 'local' });
    const bad = await envs.setEdge('qa', { containers: 'sometimes' as 'auto' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(JSON.stringify((bad as ValidationError).toJSON())).toMatch(/"path":"containers".*auto.*always.*never/);
  });

  it('refuses a containers mode for a Kubernetes environment: a cluster always runs images', async () => {
    await envs.create({ name: 'prod', target: { kind: 'kubernetes', namespace: 'prod' } });
    const err = await envs.setEdge('prod', { containers: 'never' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toBe(
      'environment prod runs on Kubernetes: every service runs its image there',
    );
  });
});
