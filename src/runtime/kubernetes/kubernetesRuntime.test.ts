import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BerthError, RuntimeError, ValidationError } from '../../errors.js';
import { message } from '../../model/messages.js';
import type { Runtime } from '../runtime.js';
import type { LogLine, RuntimeEvent } from '../../model/observation.js';
import { createKubernetesRuntime } from './kubernetesRuntime.js';
import { startHarness, testState, type KubeHarness } from './testing/harness.js';

const NS = 'berth-test';
const app = 'shop';
const env = 'prod';
const opts = (events: RuntimeEvent[] = [], signal = AbortSignal.timeout(20_000)) => ({
  signal,
  onEvent: (e: RuntimeEvent) => events.push(e),
});
const names = (h: KubeHarness, apiVersion: string, kind: string): string[] =>
  h.server.list(apiVersion, kind, NS).map((o) => o.metadata.name);

describe('kubernetes runtime', () => {
  let h: KubeHarness;
  let rt: Runtime;
  beforeEach(async () => {
    h = await startHarness({ msPerDeadlineSecond: 100 });
    rt = h.open();
  });
  afterEach(async () => {
    await h.close();
  });

  it('creates the namespace, server-side applies the service and watches the rollout to the end', async () => {
    expect(h.server.get('v1', 'Namespace', undefined, NS)).toBeUndefined();
    const events: RuntimeEvent[] = [];
    await rt.converge(testState({ app, env, service: 'web', replicas: 3, hash: 'a1' }), opts(events));

    const ns = h.server.get('v1', 'Namespace', undefined, NS);
    expect(ns?.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('berth');
    const patches = h.server.requests.filter((r) => r.method === 'PATCH');
    expect(patches.length).toBeGreaterThanOrEqual(3);
    for (const p of patches) {
      expect(p.contentType).toBe('application/apply-patch+yaml');
      expect(p.query).toMatchObject({ fieldManager: 'berth', force: 'false' });
    }
    const deploy = h.server.get('apps/v1', 'Deployment', NS, 'web')!;
    expect((deploy.metadata.managedFields as { manager: string }[])[0]!.manager).toBe('berth');
    expect(deploy.status).toMatchObject({ readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    expect(h.server.list('v1', 'Pod', NS)).toHaveLength(3);
    expect(names(h, 'v1', 'Service')).toEqual(['web']);
    expect(names(h, 'policy/v1', 'PodDisruptionBudget')).toEqual(['web']);

    const reasons = events.map((e) => e.reason);
    expect(reasons[0]).toBe('Applied');
    expect(reasons).toContain('Progressing');
    expect(reasons).toContain('RolloutComplete');
    // the rollout's status lines carry codes the console translates, their text as before
    const complete = events.find((e) => e.reason === 'RolloutComplete')!;
    expect(complete.message).toBe('Deployment/web: 3 of 3 replicas ready and available');
    expect(complete.detail).toMatchObject({
      code: 'event.ofObject',
      params: { object: 'Deployment/web', message: { code: 'workload.deploymentDone', params: { ready: 3 } } },
    });
    expect(reasons.at(-1)).toBe('Converged');
    // what the runtime itself did, too: applied objects and the count it converged to
    expect(events[0]!.detail).toMatchObject({ code: 'kube.applied', text: events[0]!.message });
    expect(events.at(-1)!.detail).toMatchObject({ code: 'kube.converged', params: { count: 3 } });
    // Kubernetes' own events about the Deployment and its pods are forwarded as progress.
    expect(events.some((e) => e.reason === 'ScalingReplicaSet' && /Scaled up replica set web-/.test(e.message))).toBe(
      true,
    );
    expect(events.some((e) => e.reason === 'Started' && e.replica?.startsWith('web-'))).toBe(true);
    expect(events.every((e) => e.service === 'web' && !Number.isNaN(Date.parse(e.time)))).toBe(true);
  });

  it('rolls to a new hash and waits until no pod of the old version remains', async () => {
    await rt.converge(testState({ app, env, service: 'web', replicas: 2, hash: 'a1' }), opts());
    const before = names(h, 'v1', 'Pod');
    await rt.converge(testState({ app, env, service: 'web', replicas: 2, hash: 'b2', revision: 2 }), opts());
    const pods = h.server.list('v1', 'Pod', NS);
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.metadata.annotations?.['berth.dev/hash'] === 'b2')).toBe(true);
    expect(pods.some((p) => before.includes(p.metadata.name))).toBe(false);
    expect(h.server.get('apps/v1', 'Deployment', NS, 'web')!.metadata.generation).toBe(2);
  });

  it('fails a rollout that never progresses with the reason the Deployment reports', async () => {
    h.server.setRolloutMode('stuck');
    const events: RuntimeEvent[] = [];
    const started = Date.now();
    // progressDeadlineSeconds 2, at 100 ms per second in the fake cluster: the condition comes after ~200 ms.
    const err = await rt
      .converge(
        testState({ app, env, service: 'web', replicas: 1, hash: 'a1', progressDeadlineMs: 2000 }),
        opts(events),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(
      /^web: rollout of Deployment\/web failed: progress deadline exceeded: ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/,
    );
    expect(Date.now() - started).toBeLessThan(2000); // the controller's condition, not the local backstop
    expect(
      events.some((e) => e.type === 'Warning' && e.reason === 'BackOff' && /Back-off pulling image/.test(e.message)),
    ).toBe(true);
    expect(events.some((e) => e.type === 'Warning' && e.reason === 'RolloutFailed')).toBe(true);
    // the release that fails with it keeps a code: the controller's message stays inside it as it is
    expect((err as { reasonMessage?: unknown }).reasonMessage).toMatchObject({
      code: 'release.kubernetesRolloutFailed',
      params: { service: 'web', object: 'Deployment/web', error: { code: 'workload.deadlineExceededBecause' } },
      text: (err as Error).message,
    });
  });

  it('stops watching when the signal aborts', async () => {
    h.server.setRolloutMode('stuck');
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('deadline of the release')), 150);
    await expect(
      rt.converge(
        testState({ app, env, service: 'web', replicas: 1, hash: 'a1', progressDeadlineMs: 600_000 }),
        opts([], ac.signal),
      ),
    ).rejects.toThrow(/^web: rollout of Deployment\/web interrupted: deadline of the release$/);
  });

  it('says why a rollout was interrupted with a code, the stop reason inside', async () => {
    h.server.setRolloutMode('stuck');
    const ac = new AbortController();
    const stop = message('release.cancelled', { by: 'ana' });
    setTimeout(() => ac.abort(Object.assign(new Error(stop.text), { reasonMessage: stop })), 150);
    const err = await rt
      .converge(
        testState({ app, env, service: 'web', replicas: 1, hash: 'a1', progressDeadlineMs: 600_000 }),
        opts([], ac.signal),
      )
      .then(
        () => new Error('converge finished'),
        (e: unknown) => e as Error,
      );
    expect(err.message).toBe('web: rollout of Deployment/web interrupted: cancelled by ana');
    expect((err as { reasonMessage?: unknown }).reasonMessage).toMatchObject({
      code: 'release.kubernetesInterrupted',
      params: { service: 'web', object: 'Deployment/web', why: stop },
    });
  });

  it('prunes by label what a release no longer renders and never touches anything else', async () => {
    await rt.converge(testState({ app, env, service: 'web', replicas: 2, hash: 'a1' }), opts());
    await rt.converge(testState({ app, env, service: 'api', replicas: 2, hash: 'a1' }), opts());
    const managed = { 'app.kubernetes.io/part-of': app, 'app.kubernetes.io/managed-by': 'berth', 'berth.dev/env': env };
    // Same namespace: an unlabelled object, one of the app's labels but another manager, another env, another app.
    h.server.seed({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'unrelated', namespace: NS },
      data: { a: '1' },
    });
    h.server.seed({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: {
        name: 'web-helm',
        namespace: NS,
        labels: { ...managed, 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/name': 'web' },
      },
      spec: { minAvailable: 1 },
    });
    h.server.seed({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: {
        name: 'web-staging',
        namespace: NS,
        labels: { ...managed, 'berth.dev/env': 'staging', 'app.kubernetes.io/name': 'web' },
      },
      spec: { minAvailable: 1 },
    });
    h.server.seed({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'other-app',
        namespace: NS,
        labels: { ...managed, 'app.kubernetes.io/part-of': 'billing', 'app.kubernetes.io/name': 'web' },
      },
      data: {},
    });
    const events: RuntimeEvent[] = [];
    // One replica: no PodDisruptionBudget any more.
    await rt.converge(testState({ app, env, service: 'web', replicas: 1, hash: 'a1' }), opts(events));
    expect(names(h, 'policy/v1', 'PodDisruptionBudget').sort()).toEqual(['api', 'web-helm', 'web-staging']);
    expect(events.find((e) => e.reason === 'Pruned')?.message).toBe(
      'deleted PodDisruptionBudget/web: no longer rendered',
    );
    expect(h.server.get('v1', 'ConfigMap', NS, 'unrelated')).toBeDefined();
    expect(h.server.get('v1', 'Secret', NS, 'other-app')).toBeDefined();
    // Every delete Berth sent named an object it had listed by its full selector.
    const deletes = h.server.requests.filter((r) => r.method === 'DELETE').map((r) => r.path);
    expect(deletes).toEqual([`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/web`]);

    await rt.remove(app, env, 'web');
    expect(names(h, 'apps/v1', 'Deployment')).toEqual(['api']);
    expect(names(h, 'v1', 'Service')).toEqual(['api']);
    expect(names(h, 'v1', 'ConfigMap').sort()).toEqual(['api-config', 'unrelated']);
    expect(h.server.list('v1', 'Pod', NS).every((p) => p.metadata.name.startsWith('api-'))).toBe(true);

    await rt.remove(app, env);
    expect(names(h, 'apps/v1', 'Deployment')).toEqual([]);
    expect(names(h, 'v1', 'ConfigMap')).toEqual(['unrelated']);
    expect(names(h, 'policy/v1', 'PodDisruptionBudget').sort()).toEqual(['web-helm', 'web-staging']);
    expect(h.server.get('v1', 'Secret', NS, 'other-app')).toBeDefined();
    await rt.remove(app, env); // nothing left: still fine
  });

  it('serves routes with an Ingress, pruned when the routes go away', async () => {
    await rt.converge(testState({ app, env, service: 'web', replicas: 1, hash: 'a1', port: 8080 }), opts());
    await rt.applyRoutes(
      { app, env, routes: [{ host: 'shop.example.com', pathPrefix: '/', service: 'web', stripPrefix: false }] },
      opts(),
    );
    const ing = h.server.get('networking.k8s.io/v1', 'Ingress', NS, app)!;
    expect(ing.spec).toMatchObject({
      rules: [
        {
          host: 'shop.example.com',
          http: { paths: [{ path: '/', backend: { service: { name: 'web', port: { name: 'http' } } } }] },
        },
      ],
    });
    expect((await rt.observe(app, env)).edge).toEqual({ url: 'http://shop.example.com', port: 80 });
    // A new instance (control plane restart) knows the routed service's port from its live Service.
    const again = h.open();
    await again.applyRoutes(
      { app, env, routes: [{ host: 'shop.example.com', pathPrefix: '/api', service: 'web', stripPrefix: false }] },
      opts(),
    );
    expect(JSON.stringify(h.server.get('networking.k8s.io/v1', 'Ingress', NS, app)!.spec)).toContain('"/api"');
    await again.applyRoutes({ app, env, routes: [] }, opts());
    expect(h.server.get('networking.k8s.io/v1', 'Ingress', NS, app)).toBeUndefined();
    expect((await rt.observe(app, env)).edge).toBeUndefined();
  });

  it('observes replicas with restarts and the last exit reason, and service addresses', async () => {
    await rt.converge(
      testState({ app, env, service: 'web', replicas: 2, hash: 'a1', revision: 7, port: 8080 }),
      opts(),
    );
    const pod = names(h, 'v1', 'Pod')[0]!;
    h.server.controllers.crashPod(NS, pod, { exitCode: 137, reason: 'OOMKilled' });
    const obs = await rt.observe(app, env);
    expect(obs.services).toHaveLength(1);
    const web = obs.services[0]!;
    expect(web).toMatchObject({
      app,
      env,
      service: 'web',
      revision: 7,
      hash: 'a1',
      desiredReplicas: 2,
      readyReplicas: 2,
    });
    expect(web.address).toEqual({
      host: `web.${NS}.svc.cluster.local`,
      port: 8080,
      url: `http://web.${NS}.svc.cluster.local:8080`,
    });
    const crashed = web.replicas.find((r) => r.id === pod)!;
    expect(crashed).toMatchObject({
      phase: 'ready',
      hash: 'a1',
      restarts: 1,
      port: 8080,
      lastExit: { code: 137, reason: 'OOMKilled', signal: null },
    });
    expect(Number.isNaN(Date.parse(crashed.lastExit!.at))).toBe(false);
    expect(web.replicas.find((r) => r.id !== pod)).toMatchObject({ phase: 'ready', restarts: 0 });
    expect(web.replicas.find((r) => r.id !== pod)?.lastExit).toBeUndefined();
    expect(await rt.addresses(app, env, [{ name: 'web' }])).toEqual({ web: web.address });
    expect((await rt.observe('other', env)).services).toEqual([]);
  });

  it('reports pods that cannot start with their waiting reason', async () => {
    await rt.converge(testState({ app, env, service: 'web', replicas: 1, hash: 'a1' }), opts());
    h.server.setRolloutMode('stuck');
    await expect(
      rt.converge(testState({ app, env, service: 'web', replicas: 1, hash: 'b2', progressDeadlineMs: 2000 }), opts()),
    ).rejects.toThrow(/progress deadline exceeded/);
    const web = (await rt.observe(app, env)).services[0]!;
    expect(web.hash).toBe('b2');
    const stuck = web.replicas.find((r) => r.hash === 'b2')!;
    expect(stuck.phase).toBe('starting');
    expect(stuck.message).toMatch(/^ImagePullBackOff: Back-off pulling image "registry.example\/web:b2"$/);
    // The old version keeps serving: the Deployment controller does not scale it down.
    expect(web.replicas.filter((r) => r.hash === 'a1' && r.phase === 'ready')).toHaveLength(1);
  });

  it('follows pod logs, with timestamps, tail and since', async () => {
    await rt.converge(testState({ app, env, service: 'web', replicas: 2, hash: 'a1' }), opts());
    const [p1, p2] = names(h, 'v1', 'Pod') as [string, string];
    h.server.controllers.appendLog(NS, p1, 'GET / 200');
    const tail: LogLine[] = [];
    for await (const l of rt.logs({ app, env, service: 'web', replica: p1 }, { follow: false, tail: 1 })) tail.push(l);
    expect(tail.map((l) => l.line)).toEqual(['GET / 200']);
    expect(tail[0]).toMatchObject({ service: 'web', replica: p1, stream: 'stdout' });

    const ac = new AbortController();
    const got: LogLine[] = [];
    const since = new Date();
    const following = (async () => {
      for await (const l of rt.logs({ app, env, service: 'web' }, { follow: true, since, signal: ac.signal })) {
        got.push(l);
        if (got.length === 2) ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    h.server.controllers.appendLog(NS, p1, 'after one');
    h.server.controllers.appendLog(NS, p2, 'after two');
    await following;
    expect(got.map((l) => `${l.replica} ${l.line}`).sort()).toEqual([`${p1} after one`, `${p2} after two`].sort());
    expect(got.every((l) => Date.parse(l.time) >= since.getTime())).toBe(true);
    const follows = h.server.requests.filter((r) => r.path.endsWith('/log') && r.query.follow === 'true');
    expect(follows).toHaveLength(2);
    expect(
      follows.every((r) => r.query.timestamps === 'true' && r.query.container === 'web' && r.query.sinceTime),
    ).toBe(true);
  });

  it('names the known contexts when the configured one does not exist', async () => {
    const bad = createKubernetesRuntime({ kubeconfig: h.kubeconfig, context: 'prod-eu', namespace: NS });
    const err = await bad.observe(app, env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).describe()).toContain('known contexts: fake');
    const missing = createKubernetesRuntime({ kubeconfig: `${h.dir}/nope`, namespace: NS });
    await expect(missing.observe(app, env)).rejects.toBeInstanceOf(BerthError);
  });
});
