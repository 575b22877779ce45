/**
 * Upgrading Berth without downtime: a workload an earlier Berth applied with
 * `app.kubernetes.io/instance=<app>` (now `<app>-<env>`) keeps its immutable selector, and a
 * converge rolls it with PATCH only, its pods never all gone; a new service gets the new labels.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import { startHarness, testState, type KubeHarness } from './testing/harness.js';

const NS = 'berth-test';
const LEGACY = { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'shop' };
const NEW = { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'shop-prod' };
const LABELS = {
  ...LEGACY,
  'app.kubernetes.io/part-of': 'shop',
  'app.kubernetes.io/component': 'Deployment',
  'app.kubernetes.io/managed-by': 'berth',
  'berth.dev/env': 'prod',
};

interface Spec {
  selector?: unknown;
  template?: { metadata: { labels: Record<string, string> } };
}
const isReady = (p: { status?: unknown }) =>
  ((p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );

describe('upgrading from the legacy instance label', () => {
  let h: KubeHarness;
  let rt: Runtime;
  beforeEach(async () => {
    h = await startHarness();
    rt = h.open();
  });
  afterEach(async () => {
    await h.close();
  });

  /** The Deployment and Service `web` of app shop as the previous Berth applied them, its 2 pods ready. */
  async function seedLegacy(): Promise<void> {
    h.server.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    h.server.seed({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: NS, labels: { ...LABELS } },
      spec: { type: 'ClusterIP', selector: { ...LEGACY }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    h.server.seed({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS, labels: { ...LABELS } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { ...LEGACY } },
        template: {
          metadata: { labels: { ...LABELS }, annotations: { 'berth.dev/hash': 'old' } },
          spec: { containers: [{ name: 'web', image: 'registry.example/web:old' }] },
        },
      },
    });
    const deadline = Date.now() + 10_000;
    while (h.server.list('v1', 'Pod', NS, 'app.kubernetes.io/instance=shop').filter(isReady).length < 2) {
      if (Date.now() > deadline) throw new Error('the legacy pods did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('rolls a legacy Deployment with PATCH only, keeping its selector and ready pods throughout', async () => {
    await seedLegacy();
    const before = h.server.requests.length;
    const events: RuntimeEvent[] = [];
    // Sampled during the converge: the ready pods the (legacy) Service selects.
    let minReady = Infinity;
    const sampler = setInterval(() => {
      const ready = h.server.list('v1', 'Pod', NS, 'app.kubernetes.io/name=web,app.kubernetes.io/instance=shop');
      minReady = Math.min(minReady, ready.filter(isReady).length);
    }, 5);
    try {
      await rt.converge(testState({ app: 'shop', env: 'prod', service: 'web', replicas: 2, hash: 'a1' }), {
        signal: AbortSignal.timeout(20_000),
        onEvent: (e) => events.push(e),
      });
    } finally {
      clearInterval(sampler);
    }
    const writes = h.server.requests.slice(before).filter((r) => !['GET', 'PATCH'].includes(r.method));
    expect(writes).toEqual([]);
    const reasons = events.map((e) => e.reason);
    expect(reasons).not.toContain('Replaced');
    expect(reasons).toContain('Converged');
    expect(events.find((e) => e.reason === 'LegacySelector')?.message).toMatch(
      /^Deployment\/web keeps the pod selector app.kubernetes.io\/instance=shop .*it rolls as usual; delete it to take app.kubernetes.io\/instance=shop-prod$/,
    );
    expect(minReady).toBeGreaterThanOrEqual(1);

    const web = h.server.get('apps/v1', 'Deployment', NS, 'web')!;
    const spec = web.spec as Required<Spec>;
    expect(spec.selector).toEqual({ matchLabels: LEGACY });
    expect(spec.template.metadata.labels).toMatchObject(LEGACY);
    expect(web.metadata.labels).toMatchObject(NEW);
    expect((h.server.get('v1', 'Service', NS, 'web')!.spec as { selector: unknown }).selector).toEqual(LEGACY);
    const pdb = h.server.get('policy/v1', 'PodDisruptionBudget', NS, 'web')!.spec as { selector: unknown };
    expect(pdb.selector).toEqual({ matchLabels: LEGACY });
    // The rollout finished: every pod is the new version, selected by the Service.
    const pods = h.server.list('v1', 'Pod', NS, 'app.kubernetes.io/name=web,app.kubernetes.io/instance=shop');
    expect(pods.map((p) => p.metadata.annotations?.['berth.dev/hash'])).toEqual(['a1', 'a1']);
    expect(pods.every(isReady)).toBe(true);

    // Converged again: still the legacy selector, still no delete.
    const again = h.server.requests.length;
    await rt.converge(testState({ app: 'shop', env: 'prod', service: 'web', replicas: 2, hash: 'b2', revision: 2 }), {
      signal: AbortSignal.timeout(20_000),
      onEvent: () => undefined,
    });
    expect(h.server.requests.slice(again).filter((r) => r.method === 'DELETE')).toEqual([]);
    expect((h.server.get('apps/v1', 'Deployment', NS, 'web')!.spec as Spec).selector).toEqual({ matchLabels: LEGACY });
  });

  it('gives a new service of the same app the new instance label', async () => {
    await seedLegacy();
    await rt.converge(testState({ app: 'shop', env: 'prod', service: 'api', replicas: 1, hash: 'a1' }), {
      signal: AbortSignal.timeout(20_000),
      onEvent: () => undefined,
    });
    const api = h.server.get('apps/v1', 'Deployment', NS, 'api')!.spec as Required<Spec>;
    const apiNew = { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'shop-prod' };
    expect(api.selector).toEqual({ matchLabels: apiNew });
    expect(api.template.metadata.labels).toMatchObject(apiNew);
    expect((h.server.get('v1', 'Service', NS, 'api')!.spec as { selector: unknown }).selector).toEqual(apiNew);
  });

  it('keeps the legacy selector when a volume replaces a legacy StatefulSet, orphaning its pods', async () => {
    const db = { 'app.kubernetes.io/name': 'db', 'app.kubernetes.io/instance': 'shop' };
    const labels = { ...LABELS, ...db, 'app.kubernetes.io/component': 'service' };
    h.server.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    h.server.seed({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: NS, labels: { ...labels } },
      spec: {
        replicas: 2,
        serviceName: 'db-headless',
        selector: { matchLabels: { ...db } },
        template: {
          metadata: { labels: { ...labels } },
          spec: { containers: [{ name: 'db', image: 'registry.example/db:old' }] },
        },
      },
    });
    const stateful = h.open({
      describeService: async () => ({ shape: { kind: 'service', stateful: true, placement: 'replicated' } }),
    });
    const state = testState({ app: 'shop', env: 'prod', service: 'db', replicas: 2, hash: 'a1' });
    const before = h.server.requests.length;
    const events: RuntimeEvent[] = [];
    await stateful.converge(
      { ...state, workload: { ...state.workload, volumes: [{ volume: 'pgdata', path: '/data', readOnly: false }] } },
      { signal: AbortSignal.timeout(20_000), onEvent: (e) => events.push(e) },
    );
    const deletes = h.server.requests.slice(before).filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => [r.path, r.query.propagationPolicy])).toEqual([
      ['/apis/apps/v1/namespaces/berth-test/statefulsets/db', 'Orphan'],
    ]);
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['LegacySelector', 'Replaced', 'Converged']));
    const sts = h.server.get('apps/v1', 'StatefulSet', NS, 'db')!.spec as Required<Spec>;
    expect(sts.selector).toEqual({ matchLabels: db });
    expect(sts.template.metadata.labels).toMatchObject(db);
    const pods = h.server.list('v1', 'Pod', NS, 'app.kubernetes.io/name=db,app.kubernetes.io/instance=shop');
    expect(pods.map((p) => p.metadata.annotations?.['berth.dev/hash'])).toEqual(['a1', 'a1']);
  });
});
