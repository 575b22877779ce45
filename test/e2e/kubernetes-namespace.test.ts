/**
 * Two apps with a `web` service deployed into one namespace of a cluster (the in-test API server):
 * the second is refused before anything of it is applied, and says which app owns the name; the
 * first keeps running untouched. Apps with distinct names share the namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, writeApp, type Berth } from './harness.js';
import { startFakeApiServer, type FakeApiServer } from '../../src/runtime/kubernetes/testing/fakeApiServer.js';

let api: FakeApiServer;
let berth: Berth;

/** An app whose services each run an image on port 8080 (and mount `extra` lines' volumes). */
const app = (name: string, services: string[], extra: string[] = []): Promise<string> =>
  writeApp(name, {
    'berth.yaml': [
      `name: ${name}`,
      ...extra,
      'services:',
      ...services.flatMap((s) => [
        `  ${s}:`,
        `    image: registry.example/${name}-${s}:1`,
        '    ports: [8080]',
        ...(extra.length > 0 ? ['    volumes: ["data:/data"]'] : []),
      ]),
    ],
  });

beforeAll(async () => {
  api = await startFakeApiServer({ podReadyDelayMs: 50 });
  const kubeconfig = join(await mkdtemp(join(tmpdir(), 'berth-kube-')), 'kubeconfig');
  await api.writeKubeconfig(kubeconfig, { context: 'fake' });
  berth = await startBerth({ env: { KUBECONFIG: kubeconfig } });
  for (const env of ['prod', 'staging']) {
    const r = await berth.cli([
      'env',
      'create',
      env,
      '--kubernetes',
      '--context',
      'fake',
      '--namespace',
      'shared',
      '--storage-class',
      'fast-ssd',
    ]);
    expect(r.code, r.stderr).toBe(0);
  }
});
afterAll(async () => {
  await berth?.teardown();
  await api?.close();
});

describe('apps sharing a namespace', () => {
  it('refuses the second app with a `web` service before anything is applied, naming the owner', async () => {
    const blog = await app('blog', ['web']);
    const first = await berth.cli(['deploy', blog, '--env', 'prod']);
    expect(first.code, first.stderr).toBe(0);
    const before = api.requests.length;

    const shop = await app('shop', ['db', 'web']);
    const second = await berth.cli(['deploy', shop, '--env', 'prod']);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/shop cannot deploy to namespace shared \(environment prod\)/);
    expect(second.stderr).toMatch(/Deployment\/web.* belong to app blog \(environment prod\)\. Nothing was applied/);
    const applied = api.requests.slice(before).filter((r) => r.method === 'PATCH' || r.method === 'DELETE');
    expect(applied).toEqual([]);
    // Not even the db, which collides with nothing: the release is refused as a whole.
    expect(api.get('apps/v1', 'Deployment', 'shared', 'db')).toBeUndefined();
    const web = api.get('apps/v1', 'Deployment', 'shared', 'web');
    expect(web?.metadata.labels?.['app.kubernetes.io/part-of']).toBe('blog');
    const status = await berth.json<{ services: { service: string; readyReplicas: number }[] }>([
      'status',
      'blog',
      '--env',
      'prod',
    ]);
    expect(status.services.map((s) => `${s.service} ${s.readyReplicas}`)).toEqual(['web 1']);
  });

  it('refuses the same app in a second environment of the namespace', async () => {
    const blog = await app('blog', ['web']);
    const r = await berth.cli(['deploy', blog, '--env', 'staging']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/belong to app blog \(environment prod\)/);
  });

  it('deploys an app with distinct service names beside it, its volume a claim in the storage class', async () => {
    const shop = await app('shop', ['api'], ['volumes:', '  data: { size: 2Gi }']);
    const r = await berth.cli(['deploy', shop, '--env', 'prod']);
    expect(r.code, r.stderr).toBe(0);
    const instances = api
      .list('apps/v1', 'Deployment', 'shared')
      .map((d) => `${d.metadata.name} ${d.metadata.labels?.['app.kubernetes.io/instance']}`)
      .sort();
    expect(instances).toEqual(['api shop-prod', 'web blog-prod']);
    const claim = api.get('v1', 'PersistentVolumeClaim', 'shared', 'shop-data');
    expect(claim?.spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '2Gi' } } });
  });
});
