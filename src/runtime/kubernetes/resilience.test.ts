/**
 * The Kubernetes runtime against an API server that misbehaves as real ones do: transient errors
 * (429 with Retry-After, 5xx, connection resets) are retried with backoff on apply, list, delete and
 * watch; a watch that ends, or ends with 410 Gone, is re-established; an HPA changing the replica
 * count mid-rollout is not fought; another field manager's change is reported, never forced over.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../model/observation.js';
import { startHarness, testState, type KubeHarness } from './testing/harness.js';
import { createClients, loadKubeConfig } from './client.js';
import { watchWorkloadEvents } from './events.js';

const until = async (what: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(what(), String(what)).toBe(true);
};

const app = 'shop';
const env = 'prod';
const ns = 'berth-test';

describe('Kubernetes runtime resilience', () => {
  let h: KubeHarness;
  let slept: number[];
  const retry = {
    baseMs: 10,
    maxMs: 5000,
    random: () => 0.5,
    // Records the backoff and waits a little: the test's clock, not the policy's numbers.
    sleep: async (ms: number) => {
      slept.push(ms);
      await new Promise((r) => setTimeout(r, 5));
    },
  };
  const events: RuntimeEvent[] = [];
  const o = () => ({ signal: AbortSignal.timeout(15_000), onEvent: (e: RuntimeEvent) => void events.push(e) });
  beforeEach(async () => {
    slept = [];
    events.length = 0;
  });
  afterEach(async () => {
    await h.close();
  });

  it('retries 429 (after its Retry-After), 5xx and resets on apply, list, delete and watch', async () => {
    h = await startHarness();
    const rt = h.open({ retry });
    h.server.inject({ method: 'PATCH', path: '/deployments/web', status: 429, retryAfterSeconds: 2 });
    h.server.inject({ method: 'PATCH', path: '/services/web', status: 'reset' });
    h.server.inject({ method: 'GET', path: /\/configmaps$/, watch: false, status: 503, times: 2 });
    h.server.inject({ method: 'GET', path: /\/deployments$/, watch: true, status: 500 });
    h.server.inject({ method: 'GET', path: /\/pods$/, watch: false, status: 502 });
    await rt.converge(testState({ app, env, service: 'web', replicas: 2, hash: 'a1' }), o());
    expect(h.server.injected).toBe(6);
    expect(slept).toContain(2000); // the 429's Retry-After
    expect(h.server.get('apps/v1', 'Deployment', ns, 'web')).toBeDefined();
    h.server.inject({ method: 'DELETE', path: '/deployments/web', status: 503 });
    await rt.remove(app, env);
    expect(h.server.injected).toBe(7);
    expect(h.server.get('apps/v1', 'Deployment', ns, 'web')).toBeUndefined();
  });

  it('ends a retry backoff at once when the runtime closes, instead of waiting it out', async () => {
    h = await startHarness();
    // A 30 s backoff (the real sleep): close() must cut it short.
    const rt = h.open({ retry: { baseMs: 60_000, maxMs: 60_000, random: () => 0 } });
    h.server.inject({ method: 'PATCH', path: '/configmaps/web-config', status: 503, times: 5 });
    const converging = rt.converge(testState({ app, env, service: 'web', replicas: 1, hash: 'a1' }), o());
    const outcome = converging.then(
      () => 'converged',
      (err: unknown) => err,
    );
    await until(() => h.server.injected === 1);
    await new Promise((r) => setTimeout(r, 50)); // into the backoff
    const closedAt = Date.now();
    await rt.close();
    const err = await outcome;
    expect(Date.now() - closedAt).toBeLessThan(1000);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/not retried \(the runtime is closing\)/);
    expect(h.server.injected).toBe(1); // no second try after the close
  });

  it('gives up after the attempts, and never retries what cannot succeed', async () => {
    h = await startHarness();
    const rt = h.open({ retry: { ...retry, attempts: 3 } });
    h.server.inject({ method: 'PATCH', path: '/configmaps/web-config', status: 503, times: 3 });
    await expect(rt.converge(testState({ app, env, service: 'web', replicas: 1, hash: 'a1' }), o())).rejects.toThrow(
      /apply of ConfigMap\/web-config .*HTTP 503/,
    );
    expect(slept).toHaveLength(2);
    slept = [];
    h.server.inject({ method: 'PATCH', path: '/configmaps/web-config', status: 403 });
    await expect(rt.converge(testState({ app, env, service: 'web', replicas: 1, hash: 'a1' }), o())).rejects.toThrow(
      /HTTP 403/,
    );
    expect(slept).toEqual([]);
  });

  it('re-establishes the events watch each time it ends, through a compaction of the watch history', async () => {
    // Watches end every 100 ms; pods take 1.5 s to become ready.
    h = await startHarness({ podReadyDelayMs: 1500, watchTimeoutMs: 100 });
    const rt = h.open({ retry });
    const done = rt.converge(testState({ app, env, service: 'web', replicas: 1, hash: 'a1' }), o());
    const eventWatches = (): number =>
      h.server.requests.filter((r) => r.path === `/api/v1/namespaces/${ns}/events` && r.query.watch === 'true').length;
    await until(() => h.server.get('apps/v1', 'Deployment', ns, 'web') !== undefined && eventWatches() >= 2);
    h.server.compact(); // every watch's resource version is now too old
    const after = eventWatches();
    await until(() => eventWatches() > after + 1);
    const web = h.server.get('apps/v1', 'Deployment', ns, 'web')!;
    h.server.controllers.event(web, 'Warning', 'LateWarning', 'said after the first watch ended and after compaction');
    await done;
    expect(events.map((e) => e.reason)).toContain('LateWarning');
    expect(eventWatches()).toBeGreaterThan(3);
    expect(events.map((e) => e.reason)).toContain('Converged');
  });

  it('opens the events watch again from a fresh list when the server answers 410 Gone', async () => {
    h = await startHarness({ watchTimeoutMs: 100 });
    h.server.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const clients = createClients(loadKubeConfig({ kubeconfig: h.kubeconfig, context: 'fake' }));
    const seen: string[] = [];
    const web = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns } };
    const watch = watchWorkloadEvents(clients, ns, [web], {
      service: 'web',
      onEvent: (e) => void seen.push(e.reason),
      now: Date.now,
      rewatchMs: 20,
    });
    try {
      await watch.ready;
      h.server.controllers.event(web, 'Normal', 'First', 'before');
      await until(() => seen.includes('First'));
      // Other objects change, then etcd compacts: the watch's version is gone, its next start gets 410.
      h.server.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: ns } });
      h.server.compact();
      const lists = (): number =>
        h.server.requests.filter((r) => r.path.endsWith('/events') && r.query.watch !== 'true').length;
      await until(() => lists() >= 2);
      h.server.controllers.event(web, 'Warning', 'AfterGone', 'after the relist');
      await until(() => seen.includes('AfterGone'));
      expect(seen).toEqual(['First', 'AfterGone']);
    } finally {
      watch.stop();
    }
  });

  it('keeps working when the HPA changes the replica count during the rollout, and never fights it', async () => {
    h = await startHarness({ podReadyDelayMs: 1000 });
    const rt = h.open({
      retry,
      describeService: async () => ({
        shape: {
          kind: 'service',
          stateful: false,
          placement: 'replicated',
          autoscale: { min: 2, max: 6, cpuPercent: 80 },
        },
      }),
    });
    const state = testState({ app, env, service: 'web', replicas: 2, hash: 'a1', progressDeadlineMs: 4000 });
    state.workload.resources = { cpuRequestMillis: 100 };
    const done = rt.converge(state, o());
    await until(() => h.server.get('apps/v1', 'Deployment', ns, 'web') !== undefined);
    // The autoscaler scales through the scale subresource: an Update by kube-controller-manager.
    h.server.update('apps/v1', 'Deployment', ns, 'web', { 'spec.replicas': 4 }, 'kube-controller-manager');
    await done;
    const pods = h.server.list('v1', 'Pod', ns, 'app.kubernetes.io/name=web');
    expect(pods).toHaveLength(4);
    expect(events.find((e) => e.reason === 'Converged')?.message).toBe('4 replicas of a1 ready');
    // A new release re-applies without spec.replicas: the HPA's 4 stay, no conflict.
    await rt.converge({ ...state, hash: 'b2', revision: 2, workload: { ...state.workload, image: 'web:b2' } }, o());
    const live = h.server.get('apps/v1', 'Deployment', ns, 'web')!;
    expect(live.spec?.replicas).toBe(4);
    const owners = (live.metadata.managedFields as { manager: string; fieldsV1: object }[]).map((e) => e.manager);
    expect(owners.sort()).toEqual(['berth', 'kube-controller-manager']);
  });

  it("reports another field manager's change as a conflict instead of forcing over it", async () => {
    h = await startHarness();
    const rt = h.open({ retry });
    await rt.converge(testState({ app, env, service: 'web', replicas: 2, hash: 'a1' }), o());
    // Someone runs `kubectl scale deployment web --replicas 5`.
    h.server.update('apps/v1', 'Deployment', ns, 'web', { 'spec.replicas': 5 }, 'kubectl');
    await expect(rt.converge(testState({ app, env, service: 'web', replicas: 3, hash: 'a1' }), o())).rejects.toThrow(
      /web: apply of Deployment\/web in namespace berth-test failed: HTTP 409: .*conflict with "kubectl": \.spec\.replicas.*--force-conflicts --field-manager=berth/,
    );
    expect(h.server.get('apps/v1', 'Deployment', ns, 'web')?.spec?.replicas).toBe(5);
    const patches = h.server.requests.filter((r) => r.method === 'PATCH');
    expect(patches.every((r) => r.query.force !== 'true')).toBe(true);
  });
});
