import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { matchesFields, matchesLabels } from './fakeCluster.js';
import { startFakeApiServer, type FakeApiServer } from './fakeApiServer.js';

/** The parts of API responses these tests read. */
interface Body {
  metadata: { resourceVersion?: string; generation?: number };
  items: { metadata: { name: string }; kind?: string }[];
  resources: unknown[];
  groups: { name: string }[];
}

describe('fake API server', () => {
  let s: FakeApiServer;
  const call = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${s.token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const deployment = (replicas: number, image: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas,
      progressDeadlineSeconds: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  });
  const apply = (obj: unknown, ct = 'application/apply-patch+yaml') =>
    call('PATCH', '/apis/apps/v1/namespaces/ns1/deployments/web?fieldManager=berth&force=true', obj, ct);
  const until = async (what: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(what()).toBe(true);
  };

  beforeEach(async () => {
    s = await startFakeApiServer({ podReadyDelayMs: 20, msPerDeadlineSecond: 50 });
    s.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' } });
  });
  afterEach(async () => {
    await s.close();
  });

  it('refuses requests without the token and records every request', async () => {
    const res = await fetch(`${s.url}/api/v1/namespaces/ns1/pods`);
    expect(res.status).toBe(401);
    await call('GET', '/apis/apps/v1');
    expect(s.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v1/namespaces/ns1/pods',
      'GET /apis/apps/v1',
    ]);
  });

  it('serves discovery as client-node resolves kinds', async () => {
    const { body } = await call('GET', '/apis/networking.k8s.io/v1');
    expect(body.resources).toContainEqual(
      expect.objectContaining({ kind: 'Ingress', name: 'ingresses', namespaced: true }),
    );
    expect((await call('GET', '/apis')).body.groups.map((g: { name: string }) => g.name)).toContain('autoscaling');
  });

  it('server-side applies: 404 without the namespace, generation bumps only on spec change, only apply patches', async () => {
    expect(
      (
        await call(
          'PATCH',
          '/apis/apps/v1/namespaces/nope/deployments/web?fieldManager=berth',
          deployment(1, 'a'),
          'application/apply-patch+yaml',
        )
      ).status,
    ).toBe(404);
    expect((await apply(deployment(1, 'a'), 'application/merge-patch+json')).status).toBe(415);
    expect(
      (
        await call(
          'PATCH',
          '/apis/apps/v1/namespaces/ns1/deployments/web',
          deployment(1, 'a'),
          'application/apply-patch+yaml',
        )
      ).status,
    ).toBe(400);
    const first = await apply(deployment(1, 'a'));
    expect(first.body.metadata).toMatchObject({
      generation: 1,
      namespace: 'ns1',
      managedFields: [{ manager: 'berth', operation: 'Apply' }],
    });
    await until(() => s.get('apps/v1', 'Deployment', 'ns1', 'web')?.status?.readyReplicas === 1);
    const settled = (await call('GET', '/apis/apps/v1/namespaces/ns1/deployments/web')).body;
    const same = await apply(deployment(1, 'a'));
    expect(same.body.metadata).toMatchObject({ generation: 1, resourceVersion: settled.metadata.resourceVersion });
    expect((await apply(deployment(2, 'a'))).body.metadata.generation).toBe(2);
  });

  it('simulates a rollout: pods become ready, status follows, old pods go', async () => {
    await apply(deployment(2, 'a'));
    await until(() => s.get('apps/v1', 'Deployment', 'ns1', 'web')?.status?.readyReplicas === 2);
    const old = s.list('v1', 'Pod', 'ns1').map((p) => p.metadata.name);
    await apply(deployment(2, 'b'));
    await until(() => {
      const st = s.get('apps/v1', 'Deployment', 'ns1', 'web')?.status;
      return st?.observedGeneration === 2 && st.updatedReplicas === 2 && st.readyReplicas === 2 && st.replicas === 2;
    });
    const pods = s.list('v1', 'Pod', 'ns1');
    expect(pods.some((p) => old.includes(p.metadata.name))).toBe(false);
    const scaled = s
      .list('v1', 'Event', 'ns1')
      .filter((e) => e.reason === 'ScalingReplicaSet')
      .map((e) => e.message);
    expect(scaled.some((m) => /Scaled down replica set web-\w+ to 0/.test(String(m)))).toBe(true);
  });

  it('reports ProgressDeadlineExceeded for a rollout that never progresses', async () => {
    s.setRolloutMode('stuck');
    await apply(deployment(1, 'a'));
    await until(() =>
      ((s.get('apps/v1', 'Deployment', 'ns1', 'web')?.status?.conditions ?? []) as { reason: string }[]).some(
        (c) => c.reason === 'ProgressDeadlineExceeded',
      ),
    );
    const st = s.get('apps/v1', 'Deployment', 'ns1', 'web')!.status!;
    expect(st.readyReplicas).toBeUndefined(); // zero values are omitted, as the real API server does
    expect(s.list('v1', 'Event', 'ns1').some((e) => e.type === 'Warning' && e.reason === 'BackOff')).toBe(true);
  });

  it('lists by label and field selector and watches from a resource version', async () => {
    await apply(deployment(1, 'a'));
    await until(() => s.get('apps/v1', 'Deployment', 'ns1', 'web')?.status?.readyReplicas === 1);
    const none = await call('GET', '/apis/apps/v1/namespaces/ns1/deployments?labelSelector=app%3Dother');
    expect(none.body.items).toEqual([]);
    const list = await call('GET', '/apis/apps/v1/namespaces/ns1/deployments?labelSelector=app%3Dweb');
    expect(list.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['web']);
    expect(list.body.items[0].kind).toBeUndefined();
    const rv = list.body.metadata.resourceVersion as string;
    const ac = new AbortController();
    const res = await fetch(
      `${s.url}/apis/apps/v1/namespaces/ns1/deployments?watch=true&fieldSelector=metadata.name%3Dweb&resourceVersion=${rv}`,
      {
        headers: { authorization: `Bearer ${s.token}` },
        signal: ac.signal,
      },
    );
    await apply(deployment(3, 'a'));
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    const event = JSON.parse(new TextDecoder().decode(value).split('\n')[0]!) as {
      type: string;
      object: { spec: { replicas: number } };
    };
    expect(event.type).toBe('MODIFIED');
    expect(event.object.spec.replicas).toBe(3);
    ac.abort();
  });

  it('matches selectors like the API server', () => {
    const labels = { a: '1', b: '2' };
    expect(matchesLabels(labels, 'a=1,b')).toBe(true);
    expect(matchesLabels(labels, 'a=1,!b')).toBe(false);
    expect(matchesLabels(labels, 'a in (1,3),b notin (3)')).toBe(true);
    expect(matchesLabels(labels, 'a!=1')).toBe(false);
    expect(matchesLabels(labels, 'c')).toBe(false);
    expect(matchesFields({ metadata: { name: 'x' }, type: 'Warning' }, 'metadata.name=x,type!=Normal')).toBe(true);
    expect(matchesFields({ metadata: { name: 'x' } }, 'metadata.name=y')).toBe(false);
  });
});
