import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../errors.js';
import type { Runtime } from '../runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { TrafficSplit } from '../../model/routing.js';
import type { KubernetesRuntimeOptions } from './kubernetesRuntime.js';
import type { ServiceShape } from './manifests/contract.js';
import { at } from './manifests/testdata/at.js';
import type { FakeObject } from './testing/fakeCluster.js';
import { startHarness, testState, type KubeHarness } from './testing/harness.js';

const NS = 'berth-test';
const app = 'shop';
const env = 'prod';
const GW = 'gateway.networking.k8s.io/v1';
const opts = (events: RuntimeEvent[] = [], signal = AbortSignal.timeout(20_000)) => ({
  signal,
  onEvent: (e: RuntimeEvent) => events.push(e),
});
const routes = { app, env, routes: [{ pathPrefix: '/', service: 'web', stripPrefix: false }] };
const canaryShape: ServiceShape = { kind: 'service', stateful: false, placement: 'replicated', progressive: {} };

/** web at `a1` (stable), with a canary at `b2` and `split` when given. */
function webState(canary?: { split?: TrafficSplit; replicas?: number; progressDeadlineMs?: number }): ServiceState {
  const stable = testState({ app, env, service: 'web', replicas: 2, hash: 'a1' });
  if (!canary) return stable;
  const next = testState({
    app,
    env,
    service: 'web',
    replicas: canary.replicas ?? 1,
    hash: 'b2',
    revision: 2,
    ...(canary.progressDeadlineMs ? { progressDeadlineMs: canary.progressDeadlineMs } : {}),
  });
  return {
    ...stable,
    ...(canary.progressDeadlineMs ? { rollout: next.rollout } : {}),
    canary: { revision: 2, configVersion: 1, hash: 'b2', replicas: next.replicas, workload: next.workload },
    ...(canary.split ? { traffic: canary.split } : {}),
  };
}

const names = (h: KubeHarness, apiVersion: string, kind: string): string[] =>
  h.server
    .list(apiVersion, kind, NS)
    .map((o) => o.metadata.name)
    .sort();
const route = (h: KubeHarness, name = 'web'): FakeObject => h.server.get(GW, 'HTTPRoute', NS, name)!;
const weights = (h: KubeHarness, name = 'web') =>
  (at(route(h, name), 'spec.rules') as { backendRefs: { name: string; weight?: number }[] }[])
    .at(-1)!
    .backendRefs.map((b) => `${b.name}=${b.weight}`);
const podsOf = (h: KubeHarness, track: string) =>
  h.server
    .list('v1', 'Pod', NS)
    .filter((p) => p.metadata.labels?.['berth.dev/track'] === track)
    .map((p) => p.metadata.name)
    .sort();

describe('kubernetes runtime: progressive delivery', () => {
  let h: KubeHarness;
  let rt: Runtime;
  const open = (o: Partial<KubernetesRuntimeOptions> = {}): Runtime =>
    h.open({ describeService: async () => ({ shape: canaryShape }), ...o });

  beforeEach(async () => {
    h = await startHarness({ msPerDeadlineSecond: 100 });
    rt = open();
  });
  afterEach(async () => {
    await h.close();
  });

  it('at rest: one Deployment, a Service per track and an HTTPRoute at weight 0 on the Gateway', async () => {
    await rt.converge(webState(), opts());
    await rt.applyRoutes(routes, opts());
    expect(names(h, 'apps/v1', 'Deployment')).toEqual(['web']);
    expect(names(h, 'v1', 'Service')).toEqual(['web', 'web-canary', 'web-stable']);
    expect(names(h, GW, 'HTTPRoute')).toEqual(['web']);
    expect(at(route(h), 'spec.parentRefs')).toEqual([{ name: 'berth' }]);
    expect(weights(h)).toEqual(['web-stable=100', 'web-canary=0']);
    // The route is the Gateway's: the app's only route is not on an Ingress as well.
    expect(names(h, 'networking.k8s.io/v1', 'Ingress')).toEqual([]);
    expect(podsOf(h, 'stable')).toHaveLength(2);
    const web = (await rt.observe(app, env)).services[0]!;
    expect(web.tracks).toBeUndefined();
    expect(web.traffic).toBeUndefined();
  });

  it('steps a canary 0 → 25 → 100 and back: weights after the rollout, canary removed after the weights', async () => {
    await rt.converge(webState(), opts());
    await rt.applyRoutes(routes, opts());
    const stablePods = podsOf(h, 'stable');

    const events: RuntimeEvent[] = [];
    await rt.converge(webState({ split: { canaryWeight: 0 } }), opts(events));
    expect(names(h, 'apps/v1', 'Deployment')).toEqual(['web', 'web-canary']);
    expect(podsOf(h, 'canary')).toHaveLength(1);
    // The stable pods were not touched by the canary's arrival.
    expect(podsOf(h, 'stable')).toEqual(stablePods);
    expect(h.server.get('v1', 'ConfigMap', NS, 'web-canary-config')?.data).toEqual({ 'env.VERSION': 'b2' });
    expect(weights(h)).toEqual(['web-stable=100', 'web-canary=0']);
    expect(events.map((e) => e.reason)).toContain('Traffic');
    // The route's weights move only once the canary's rollout is complete.
    const order = events.map((e) => e.reason);
    expect(order.lastIndexOf('RolloutComplete')).toBeLessThan(order.indexOf('Traffic'));

    await rt.converge(webState({ split: { canaryWeight: 25 } }), opts());
    expect(weights(h)).toEqual(['web-stable=75', 'web-canary=25']);
    const obs = (await rt.observe(app, env)).services[0]!;
    expect(obs.traffic).toEqual({ canaryWeight: 25 });
    expect(obs.tracks).toEqual([
      { track: 'stable', revision: 1, hash: 'a1', desiredReplicas: 2, readyReplicas: 2, weight: 75 },
      { track: 'canary', revision: 2, hash: 'b2', desiredReplicas: 1, readyReplicas: 1, weight: 25 },
    ]);
    expect(obs.hash).toBe('a1');
    expect(obs.replicas.map((r) => r.hash).sort()).toEqual(['a1', 'a1', 'b2']);

    await rt.converge(webState({ split: { canaryWeight: 100 } }), opts());
    expect(weights(h)).toEqual(['web-stable=0', 'web-canary=100']);

    const mark = h.server.requests.length;
    await rt.converge(webState(), opts());
    expect(weights(h)).toEqual(['web-stable=100', 'web-canary=0']);
    expect(names(h, 'apps/v1', 'Deployment')).toEqual(['web']);
    expect(names(h, 'v1', 'ConfigMap')).toEqual(['web-config']);
    expect(podsOf(h, 'canary')).toEqual([]);
    expect(podsOf(h, 'stable')).toEqual(stablePods);
    // Services of both tracks stay, so the next canary only adds a Deployment and moves weights.
    expect(names(h, 'v1', 'Service')).toEqual(['web', 'web-canary', 'web-stable']);
    const later = h.server.requests.slice(mark).map((r) => `${r.method} ${r.path}`);
    const routed = later.indexOf(`PATCH /apis/${GW}/namespaces/${NS}/httproutes/web`);
    const deleted = later.indexOf(`DELETE /apis/apps/v1/namespaces/${NS}/deployments/web-canary`);
    expect(routed).toBeGreaterThanOrEqual(0);
    expect(deleted).toBeGreaterThan(routed);
    const after = (await rt.observe(app, env)).services[0]!;
    expect(after.tracks).toBeUndefined();
  });

  it('sends a header match to the canary only, and reports it', async () => {
    await rt.converge(webState(), opts());
    await rt.applyRoutes(routes, opts());
    const split: TrafficSplit = { canaryWeight: 0, match: { header: 'x-beta', value: 'yes' } };
    await rt.converge(webState({ split }), opts());
    expect(at(route(h), 'spec.rules.0')).toEqual({
      matches: [
        { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-beta', value: 'yes' }] },
      ],
      backendRefs: [{ name: 'web-canary', port: 80 }],
    });
    expect((await rt.observe(app, env)).services[0]!.traffic).toEqual(split);
    // applyRoutes (e.g. at the end of another release) keeps the split it does not own.
    await rt.applyRoutes(routes, opts());
    expect((await rt.observe(app, env)).services[0]!.traffic).toEqual(split);
  });

  it('abort: a canary that never becomes ready gets no traffic, and going back removes it', async () => {
    await rt.converge(webState(), opts());
    await rt.applyRoutes(routes, opts());
    h.server.setRolloutMode('stuck');
    const err = await rt
      .converge(webState({ split: { canaryWeight: 10 }, progressDeadlineMs: 2000 }), opts())
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/rollout of Deployment\/web-canary/);
    expect(weights(h)).toEqual(['web-stable=100', 'web-canary=0']);
    h.server.setRolloutMode('progress');
    await rt.converge(webState(), opts());
    expect(names(h, 'apps/v1', 'Deployment')).toEqual(['web']);
    expect(podsOf(h, 'canary')).toEqual([]);
    expect(podsOf(h, 'stable')).toHaveLength(2);
  });

  it('going back from a canary whose stable revision predates the strategy: weights first, then the canary goes', async () => {
    // The stable revision's spec is rolling: only the running canary makes the service have tracks.
    const rolling = open({ describeService: async () => ({}) });
    await rolling.converge(webState({ split: { canaryWeight: 40 } }), opts());
    await rolling.applyRoutes(routes, opts());
    expect(weights(h)).toEqual(['web-stable=60', 'web-canary=40']);
    await rolling.close();
    // After a restart too (nothing cached): the live canary Deployment says where the service comes from.
    const restarted = open({ describeService: async () => ({}) });
    const mark = h.server.requests.length;
    await restarted.converge(webState(), opts());
    expect(weights(h)).toEqual(['web-stable=100', 'web-canary=0']);
    expect(names(h, 'apps/v1', 'Deployment')).toEqual(['web']);
    expect(names(h, 'v1', 'Service')).toEqual(['web', 'web-canary', 'web-stable']);
    const later = h.server.requests.slice(mark).map((r) => `${r.method} ${r.path}`);
    const routed = later.indexOf(`PATCH /apis/${GW}/namespaces/${NS}/httproutes/web`);
    expect(routed).toBeGreaterThanOrEqual(0);
    expect(later.indexOf(`DELETE /apis/apps/v1/namespaces/${NS}/deployments/web-canary`)).toBeGreaterThan(routed);
  });

  it('after a restart, re-weights the routes it applied before without being told them again', async () => {
    await rt.converge(webState(), opts());
    await rt.applyRoutes(
      {
        app,
        env,
        routes: [
          { pathPrefix: '/', service: 'web', stripPrefix: false },
          { host: 'beta.shop.example', pathPrefix: '/app', service: 'web', stripPrefix: true },
        ],
      },
      opts(),
    );
    await rt.close();
    const fresh = open();
    await fresh.converge(webState({ split: { canaryWeight: 50 } }), opts());
    expect(weights(h)).toEqual(['web-stable=50', 'web-canary=50']);
    expect(weights(h, 'web-beta.shop.example')).toEqual(['web-stable=50', 'web-canary=50']);
    expect(at(route(h, 'web-beta.shop.example'), 'spec.hostnames')).toEqual(['beta.shop.example']);
    // A restarted applyRoutes (resync) keeps the live split of a service it has not converged.
    const other = open();
    await other.applyRoutes(routes, opts());
    expect(weights(h)).toEqual(['web-stable=50', 'web-canary=50']);
    expect(names(h, GW, 'HTTPRoute')).toEqual(['web']);
  });

  it('with ingress-nginx: a canary Ingress with the weight and header, the app Ingress on the stable track', async () => {
    rt = open({ trafficRouter: 'ingressNginx', ingressClassName: 'nginx' });
    await rt.converge(webState(), opts());
    await rt.applyRoutes(routes, opts());
    expect(names(h, 'networking.k8s.io/v1', 'Ingress')).toEqual(['shop', 'web-canary']);
    expect(names(h, GW, 'HTTPRoute')).toEqual([]);
    const shop = h.server.get('networking.k8s.io/v1', 'Ingress', NS, 'shop')!;
    expect(at(shop, 'spec.rules.0.http.paths.0.backend.service.name')).toBe('web-stable');
    const split: TrafficSplit = { canaryWeight: 30, match: { header: 'x-beta', value: 'yes' } };
    await rt.converge(webState({ split }), opts());
    const canary = h.server.get('networking.k8s.io/v1', 'Ingress', NS, 'web-canary')!;
    expect(canary.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '30',
      'nginx.ingress.kubernetes.io/canary-by-header': 'x-beta',
      'nginx.ingress.kubernetes.io/canary-by-header-value': 'yes',
    });
    expect(at(canary, 'spec.rules.0.http.paths.0.backend.service.name')).toBe('web-canary');
    expect((await rt.observe(app, env)).services[0]!.traffic).toEqual(split);
    expect((await rt.observe(app, env)).edge).toBeUndefined();
    await rt.converge(webState(), opts());
    expect(h.server.get('networking.k8s.io/v1', 'Ingress', NS, 'web-canary')!.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/canary-weight': '0',
    });
    expect(
      h.server.get('networking.k8s.io/v1', 'Ingress', NS, 'web-canary')!.metadata.annotations?.[
        'nginx.ingress.kubernetes.io/canary-by-header'
      ],
    ).toBeUndefined();
  });

  it('removes every object of the service, its routes and its canary included', async () => {
    await rt.converge(webState({ split: { canaryWeight: 5 } }), opts());
    await rt.applyRoutes(routes, opts());
    expect(names(h, GW, 'HTTPRoute')).toEqual(['web']);
    await rt.remove(app, env, 'web');
    for (const [v, k] of [
      ['apps/v1', 'Deployment'],
      ['v1', 'Service'],
      ['v1', 'ConfigMap'],
      [GW, 'HTTPRoute'],
    ] as const)
      expect(names(h, v, k)).toEqual([]);
  });
});

describe('kubernetes runtime on a cluster without the Gateway API', () => {
  let h: KubeHarness;
  beforeEach(async () => {
    h = await startHarness({ withoutKinds: ['HTTPRoute'] });
  });
  afterEach(async () => {
    await h.close();
  });

  it('still observes, routes and removes ordinary services, and says why a canary route cannot be applied', async () => {
    const rt = h.open();
    await rt.converge(testState({ app, env, service: 'api', replicas: 1, hash: 'a1' }), opts());
    await rt.applyRoutes({ app, env, routes: [{ pathPrefix: '/', service: 'api', stripPrefix: false }] }, opts());
    expect((await rt.observe(app, env)).services.map((s) => s.service)).toEqual(['api']);
    const progressive = h.open({ describeService: async () => ({ shape: canaryShape }) });
    await progressive.converge(webState(), opts());
    const err = await progressive.applyRoutes(routes, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/HTTPRoute\/web.*does not serve the Gateway API.*ingressNginx/);
    await rt.remove(app, env);
    expect(h.server.list('apps/v1', 'Deployment', NS)).toEqual([]);
  });
});
