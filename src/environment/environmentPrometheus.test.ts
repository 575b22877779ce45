import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { openStore, type Store } from '../store/store.js';
import { createEnvironments, prometheusOf, type Environments } from './environments.js';

describe("environments: a Kubernetes target's Prometheus for canary analysis", () => {
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

  it('keeps its URL and timeout, and leaves it out when not given', async () => {
    const created = await envs.create({
      name: 'prod',
      target: {
        kind: 'kubernetes',
        namespace: 'prod',
        prometheus: { url: 'http://prom.monitoring:9090', timeout: '2s' },
      },
    });
    expect(created.target).toMatchObject({ prometheus: { url: 'http://prom.monitoring:9090', timeout: '2s' } });
    expect((await envs.get('prod')).target).toEqual(created.target);
    // What the runtime gets: the timeout in ms.
    expect(prometheusOf(created.target)).toEqual({ url: 'http://prom.monitoring:9090', timeoutMs: 2000 });
    const plain = await envs.create({ name: 'dev', target: { kind: 'kubernetes', namespace: 'dev' } });
    expect(plain.target).not.toHaveProperty('prometheus');
    expect(prometheusOf(plain.target)).toBeUndefined();
  });

  it('refuses a URL that is not http(s), carries a password, or a bad timeout, naming the field', async () => {
    for (const [prometheus, path] of [
      [{ url: 'prom:9090' }, 'target.prometheus.url'],
      [{ url: 'ftp://prom/' }, 'target.prometheus.url'],
      [{ url: 'http://admin:secret@prom:9090' }, 'target.prometheus.url'],
      [{ url: 'http://prom:9090', timeout: 'soon' }, 'target.prometheus.timeout'],
      [{ url: 'http://prom:9090', extra: 1 }, 'target.prometheus'],
    ] as const) {
      const err = await envs
        .create({ name: 'prod', target: { kind: 'kubernetes', namespace: 'prod', prometheus: prometheus as never } })
        .catch((e: unknown) => e);
      expect(err, JSON.stringify(prometheus)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems.map((p) => p.path)).toEqual([path]);
    }
  });

  it('is set, replaced and removed on an existing environment; refused on one on this machine', async () => {
    await envs.create({ name: 'prod', target: { kind: 'kubernetes', namespace: 'prod' } });
    expect((await envs.setEdge('prod', { prometheus: { url: 'http://a:9090' } })).target).toMatchObject({
      prometheus: { url: 'http://a:9090' },
    });
    expect((await envs.get('prod')).target).toMatchObject({ prometheus: { url: 'http://a:9090' } });
    expect(
      (await envs.setEdge('prod', { prometheus: { url: 'https://b/prom', timeout: '10s' } })).target,
    ).toMatchObject({
      prometheus: { url: 'https://b/prom', timeout: '10s' },
    });
    expect((await envs.setEdge('prod', { prometheus: null })).target).toEqual({
      kind: 'kubernetes',
      namespace: 'prod',
    });
    await envs.create({ name: 'qa' });
    const err = await envs.setEdge('qa', { prometheus: { url: 'http://a:9090' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path)).toEqual(['prometheus']);
  });
});
