/**
 * Volumes on a cluster, against the in-test API server: a service's claims are applied with it and
 * mounted, a stateful service gets claim templates, and no prune nor removal ever deletes a claim.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { ServiceShape } from './manifests/contract.js';
import { startHarness, testState, type KubeHarness } from './testing/harness.js';

const NS = 'berth-test';
const app = 'shop';
const env = 'prod';
const o = { signal: AbortSignal.timeout(20_000), onEvent: (_e: RuntimeEvent) => undefined };
const GiB = 2 ** 30;

const stateful: ServiceShape = { kind: 'service', stateful: true, placement: 'replicated' };

function withVolume(s: ServiceState, volume: string, path: string, sizeBytes?: number): ServiceState {
  return {
    ...s,
    workload: {
      ...s.workload,
      volumes: [{ volume, path, readOnly: false, ...(sizeBytes === undefined ? {} : { sizeBytes }) }],
    },
  };
}

describe('volumes on a cluster', () => {
  let h: KubeHarness;
  let rt: Runtime;
  beforeEach(async () => {
    h = await startHarness();
    rt = h.open({
      storageClass: 'fast',
      describeService: async (s) => (s.service === 'db' ? { shape: stateful } : {}),
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it('applies the claim of a mounted volume, and neither prune nor removal deletes a claim', async () => {
    const web = withVolume(
      testState({ app, env, service: 'web', replicas: 2, hash: 'a1' }),
      'uploads',
      '/srv',
      5 * GiB,
    );
    await rt.converge(web, o);
    const claim = h.server.get('v1', 'PersistentVolumeClaim', NS, 'shop-uploads');
    expect(claim?.spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } });
    const pod = h.server.get('apps/v1', 'Deployment', NS, 'web')?.spec as {
      template: { spec: { volumes: unknown[] } };
    };
    expect(pod.template.spec.volumes).toEqual([
      { name: 'uploads', persistentVolumeClaim: { claimName: 'shop-uploads' } },
    ]);

    // The stateful db: its claims come from volumeClaimTemplates; the StatefulSet controller makes
    // one per replica, labelled with the service (as a real cluster does).
    const db = withVolume(testState({ app, env, service: 'db', replicas: 1, hash: 'a1' }), 'pgdata', '/data');
    await rt.converge(db, o);
    const sts = h.server.get('apps/v1', 'StatefulSet', NS, 'db')?.spec as { volumeClaimTemplates: unknown[] };
    expect(sts.volumeClaimTemplates).toHaveLength(1);
    h.server.seed({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'pgdata-db-0',
        namespace: NS,
        labels: {
          'app.kubernetes.io/name': 'db',
          'app.kubernetes.io/part-of': app,
          'app.kubernetes.io/managed-by': 'berth',
          'berth.dev/env': env,
          'berth.dev/volume': 'pgdata',
        },
      },
      spec: {},
    });

    // A new revision that no longer mounts the volume: the claims stay, the rest is pruned as before.
    await rt.converge({ ...testState({ app, env, service: 'web', replicas: 1, hash: 'b2', revision: 2 }) }, o);
    await rt.converge({ ...testState({ app, env, service: 'db', replicas: 1, hash: 'b2', revision: 2 }) }, o);
    const claims = () =>
      h.server
        .list('v1', 'PersistentVolumeClaim', NS)
        .map((c) => c.metadata.name)
        .sort();
    expect(claims()).toEqual(['pgdata-db-0', 'shop-uploads']);

    // Removing a service, then the whole app (`berth down`): workloads go, the data stays.
    await rt.remove(app, env, 'db');
    await rt.remove(app, env);
    expect(h.server.list('apps/v1', 'Deployment', NS)).toEqual([]);
    expect(h.server.list('apps/v1', 'StatefulSet', NS)).toEqual([]);
    expect(claims()).toEqual(['pgdata-db-0', 'shop-uploads']);
    expect(h.server.requests.filter((r) => r.method === 'DELETE' && r.path.includes('persistentvolumeclaims'))).toEqual(
      [],
    );
  });

  it('gives a running stateful service a volume by replacing its StatefulSet, keeping its pods', async () => {
    await rt.converge(testState({ app, env, service: 'db', replicas: 2, hash: 'a1' }), o);
    const events: RuntimeEvent[] = [];
    const db = withVolume(
      testState({ app, env, service: 'db', replicas: 2, hash: 'b2', revision: 2 }),
      'pgdata',
      '/data',
    );
    await rt.converge(db, { ...o, onEvent: (e) => events.push(e) });
    expect(events.find((e) => e.reason === 'Replaced')?.message).toBe(
      'deleted StatefulSet/db to apply it anew: its volume claim templates changed (its pods are kept and rolled)',
    );
    const deletes = h.server.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => [r.path, r.query.propagationPolicy])).toEqual([
      ['/apis/apps/v1/namespaces/berth-test/statefulsets/db', 'Orphan'],
    ]);
    const sts = h.server.get('apps/v1', 'StatefulSet', NS, 'db')?.spec as {
      volumeClaimTemplates: { metadata: { name: string } }[];
    };
    expect(sts.volumeClaimTemplates.map((t) => t.metadata.name)).toEqual(['pgdata']);
    // The same templates again: nothing is replaced.
    const again: RuntimeEvent[] = [];
    await rt.converge({ ...db, revision: 3 }, { ...o, onEvent: (e) => again.push(e) });
    expect(again.map((e) => e.reason)).not.toContain('Replaced');
  });
});
