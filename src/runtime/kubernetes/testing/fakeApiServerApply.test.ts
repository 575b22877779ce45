/**
 * The fake API server behaves like a real one where Berth's resilience depends on it: server-side
 * apply merges by field manager (managedFields; a conflict is 409 unless forced), defaults fill
 * what nobody set, immutable fields are refused with 422, a watch from a compacted resource version
 * gets 410 Gone, and injected 429/5xx/resets happen on the requests they match.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startFakeApiServer, type FakeApiServer } from './fakeApiServer.js';

interface Status {
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: { field: string; message: string }[] };
}
type Obj = {
  metadata: { managedFields?: { manager: string; operation: string; fieldsV1: unknown }[]; labels?: object };
  spec: Record<string, unknown> & { template: { spec: Record<string, unknown> & { containers: object[] } } };
} & Status;

describe('fake API server: apply, defaults, immutability, 410, faults', () => {
  let s: FakeApiServer;
  const call = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${s.token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const json = <T>(r: { text: string }): T => JSON.parse(r.text) as T;
  const deployment = (o: { replicas?: number; image?: string; labels?: Record<string, string>; app?: string }) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: o.labels ?? { app: 'web' } },
    spec: {
      ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
      selector: { matchLabels: { app: o.app ?? 'web' } },
      template: {
        metadata: { labels: { app: o.app ?? 'web' } },
        spec: { containers: [{ name: 'web', image: o.image ?? 'web:1' }] },
      },
    },
  });
  const apply = (obj: unknown, manager: string, force = false, kind = 'apps/v1/namespaces/ns1/deployments/web') =>
    call(
      'PATCH',
      `/apis/${kind}?fieldManager=${manager}${force ? '&force=true' : ''}`,
      obj,
      'application/apply-patch+yaml',
    );

  beforeEach(async () => {
    s = await startFakeApiServer({ podReadyDelayMs: 20 });
    s.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' } });
  });
  afterEach(async () => {
    await s.close();
  });

  it('merges applies by field manager, and a field a manager stops applying goes only if nobody else owns it', async () => {
    expect((await apply(deployment({ replicas: 2, labels: { app: 'web', a: '1' } }), 'berth')).status).toBe(200);
    // Another manager applies only a label of its own: Berth's fields stay.
    const other = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { team: 'x' } } };
    const both = json<Obj>(await apply(other, 'team-tool'));
    expect(both.metadata.labels).toEqual({ app: 'web', a: '1', team: 'x' });
    expect(both.spec.replicas).toBe(2);
    expect(both.metadata.managedFields?.map((e) => `${e.manager}/${e.operation}`).sort()).toEqual([
      'berth/Apply',
      'team-tool/Apply',
    ]);
    const berth = both.metadata.managedFields?.find((e) => e.manager === 'berth');
    expect(berth?.fieldsV1).toMatchObject({
      'f:spec': { 'f:replicas': {} },
      'f:metadata': { 'f:labels': { 'f:a': {} } },
    });
    // Berth stops applying label a and replicas: both go (replicas back to its default), team's label stays.
    const after = json<Obj>(await apply(deployment({}), 'berth'));
    expect(after.metadata.labels).toEqual({ app: 'web', team: 'x' });
    expect(after.spec.replicas).toBe(1);
  });

  it('answers 409 Conflict naming the field and its manager unless the apply is forced', async () => {
    await apply(deployment({ replicas: 2 }), 'berth');
    s.update('apps/v1', 'Deployment', 'ns1', 'web', { 'spec.replicas': 5 }, 'kubectl');
    const conflict = await apply(deployment({ replicas: 3 }), 'berth');
    expect(conflict.status).toBe(409);
    const status = json<Status>(conflict);
    expect(status.reason).toBe('Conflict');
    expect(status.message).toContain('conflict with "kubectl": .spec.replicas');
    expect(status.details?.causes).toEqual([expect.objectContaining({ field: '.spec.replicas' })]);
    expect(s.get('apps/v1', 'Deployment', 'ns1', 'web')?.spec?.replicas).toBe(5);
    // The same value is no conflict (shared ownership); force takes the field.
    expect((await apply(deployment({ replicas: 5 }), 'berth')).status).toBe(200);
    const forced = json<Obj>(await apply(deployment({ replicas: 3 }), 'berth', true));
    expect(forced.spec.replicas).toBe(3);
    expect(forced.metadata.managedFields?.map((e) => e.manager)).toEqual(['berth']);
  });

  it('fills defaults nobody set, and keeps a field another manager owns when Berth does not apply it', async () => {
    const created = json<Obj>(await apply(deployment({}), 'berth'));
    expect(created.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
    expect(created.spec.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' });
    expect(created.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent' });
    // An autoscaler's scale: Berth's next apply (without replicas) leaves it.
    s.update('apps/v1', 'Deployment', 'ns1', 'web', { 'spec.replicas': 4 }, 'kube-controller-manager');
    const again = json<Obj>(await apply(deployment({ image: 'web:2' }), 'berth'));
    expect(again.spec.replicas).toBe(4);
  });

  it('refuses a changed Deployment selector and a changed Job template with 422, like the real server', async () => {
    await apply(deployment({}), 'berth');
    const selector = await apply(deployment({ app: 'other' }), 'berth', true);
    expect(selector.status).toBe(422);
    expect(json<Status>(selector).message).toMatch(/spec\.selector: Invalid value: .*field is immutable/);
    // A selector its own pod template's labels do not match is invalid too.
    const mismatch = deployment({});
    mismatch.spec.template.metadata.labels = { app: 'other' };
    const invalid = await apply(mismatch, 'berth');
    expect(invalid.status).toBe(422);
    expect(json<Status>(invalid).message).toMatch(
      /spec\.template\.metadata\.labels: .*`selector` does not match template `labels`/,
    );
    const job = (image: string) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image }] } } },
    });
    const path = 'batch/v1/namespaces/ns1/jobs/migrate';
    expect((await apply(job('m:1'), 'berth', false, path)).status).toBe(200);
    expect((await apply(job('m:1'), 'berth', false, path)).status).toBe(200);
    const changed = await apply(job('m:2'), 'berth', true, path);
    expect(changed.status).toBe(422);
    expect(json<Status>(changed).message).toContain('spec.template: Invalid value');
  });

  it('ends a watch from a compacted resource version with a 410 Expired ERROR event', async () => {
    await apply(deployment({}), 'berth');
    const rv = s.get('apps/v1', 'Deployment', 'ns1', 'web')!.metadata.resourceVersion as string;
    await apply(deployment({ image: 'web:2' }), 'berth');
    s.compact();
    const res = await call('GET', `/apis/apps/v1/namespaces/ns1/deployments?watch=true&resourceVersion=${rv}`);
    expect(res.status).toBe(200);
    const event = JSON.parse(res.text.trim()) as { type: string; object: Status };
    expect(event).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('injects 429 with Retry-After, 5xx and connection resets into the requests they match', async () => {
    s.inject({ method: 'GET', path: '/deployments', status: 429, retryAfterSeconds: 2 });
    s.inject({ method: 'GET', path: /deployments$/, status: 503, times: 2 });
    const throttled = await call('GET', '/apis/apps/v1/namespaces/ns1/deployments');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect((await call('GET', '/apis/apps/v1/namespaces/ns1/deployments')).status).toBe(503);
    expect((await call('GET', '/apis/apps/v1/namespaces/ns1/deployments')).status).toBe(503);
    expect((await call('GET', '/apis/apps/v1/namespaces/ns1/deployments')).status).toBe(200);
    s.inject({ status: 'reset' });
    const reset = await new Promise<string>((resolve) => {
      const req = request(`${s.url}/api/v1/namespaces/ns1/pods`, { headers: { authorization: `Bearer ${s.token}` } });
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      req.on('response', () => resolve('answered'));
      req.end();
    });
    expect(reset).toBe('ECONNRESET');
    expect(s.injected).toBe(4);
  });
});
