/**
 * The fake API server as strict as a real one about what is written (schemas from kubernetes-models,
 * names, labels, a Job's restart policy: 422 with a cause per field), and its Job controller and
 * kubelet for scripted Jobs: status as the Job controller writes it, logs that end with their
 * container and refuse a container not started yet, dependents collected with their owner.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer } from './fakeApiServer.js';

interface Status {
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: { field: string; message: string }[] };
}

const until = async (what: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(what(), String(what)).toBe(true);
};

describe('fake API server: validation and scripted Jobs', () => {
  let s: FakeApiServer;
  const call = async (method: string, path: string, body?: unknown, contentType = 'application/apply-patch+yaml') => {
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${s.token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, text: await res.text() };
  };
  const job = (name: string, podSpec: Record<string, unknown>, labels: Record<string, string> = { a: 'b' }) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: { backoffLimit: 0, template: { metadata: { labels }, spec: podSpec } },
  });
  const applyJob = (o: { metadata: { name: string } }) =>
    call('PATCH', `/apis/batch/v1/namespaces/ns1/jobs/${o.metadata.name}?fieldManager=berth`, o);
  const container = { name: 'kaniko', image: 'kaniko:1' };

  beforeEach(async () => {
    s = await startFakeApiServer({ podReadyDelayMs: 10 });
    s.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' } });
  });
  afterEach(async () => {
    await s.close();
  });

  it('refuses invalid objects with 422 and a cause per field, on apply and on create', async () => {
    const always = await applyJob(job('build', { restartPolicy: 'Always', containers: [container] }));
    expect(always.status).toBe(422);
    expect((JSON.parse(always.text) as Status).message).toBe(
      'Job.batch "build" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    );
    const long = await applyJob(job(`b${'x'.repeat(63)}`, { restartPolicy: 'Never', containers: [container] }));
    expect((JSON.parse(long.text) as Status).details?.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'metadata.name', message: expect.stringMatching(/no more than 63/) },
    ]);
    const label = await applyJob(
      job('build', { restartPolicy: 'Never', containers: [container] }, { a: 'v'.repeat(64) }),
    );
    expect(label.status).toBe(422);
    expect((JSON.parse(label.text) as Status).details?.causes?.map((c) => c.field)).toContain('metadata.labels');
    // The kind's OpenAPI schema: a container needs a name.
    const schema = await applyJob(job('build', { restartPolicy: 'Never', containers: [{ image: 'x' }] }));
    expect((JSON.parse(schema.text) as Status).details?.causes).toContainEqual({
      reason: 'FieldValueRequired',
      field: 'spec.template.spec.containers.0.name',
      message: 'Required value',
    });
    const bad = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'Web_1' }, spec: {} };
    const created = await call('POST', '/api/v1/namespaces/ns1/services', bad, 'application/json');
    expect(created.status).toBe(422);
    expect((JSON.parse(created.text) as Status).message).toMatch(
      /^Service "Web_1" is invalid: metadata\.name: .*RFC 1123 label/,
    );
    expect(s.list('batch/v1', 'Job', 'ns1')).toEqual([]);
  });

  it("runs a scripted Job's pod: its lines, its exit, its termination message, then the Job's status", async () => {
    s.controllers.jobs.scriptFor = (j) =>
      j.metadata.name === 'ok'
        ? { lines: ['one', 'two'], message: 'sha256:abc' }
        : { lines: ['boom'], exitCode: 2, message: 'it broke' };
    expect((await applyJob(job('ok', { restartPolicy: 'Never', containers: [container] }))).status).toBe(200);
    expect((await applyJob(job('bad', { restartPolicy: 'Never', containers: [container] }))).status).toBe(200);
    const conditions = (name: string) => s.get('batch/v1', 'Job', 'ns1', name)?.status?.conditions;
    await until(() => conditions('ok') !== undefined && conditions('bad') !== undefined);
    expect(conditions('ok')).toEqual([{ type: 'Complete', status: 'True' }]);
    expect(conditions('bad')).toMatchObject([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]);
    expect(s.get('batch/v1', 'Job', 'ns1', 'bad')?.status).toMatchObject({ failed: 1 });
    const [pod] = s.list('v1', 'Pod', 'ns1').filter((p) => p.metadata.name.startsWith('ok-'));
    expect(pod?.status).toMatchObject({
      phase: 'Succeeded',
      containerStatuses: [{ name: 'kaniko', state: { terminated: { exitCode: 0, message: 'sha256:abc' } } }],
    });
    // A followed log of an ended container gives its lines and ends (as the kubelet's does).
    const log = await call('GET', `/api/v1/namespaces/ns1/pods/${pod!.metadata.name}/log?container=kaniko&follow=true`);
    expect(log).toEqual({ status: 200, text: 'one\ntwo\n' });
  });

  it("refuses the log of a container not started yet, and collects a deleted Job's dependents", async () => {
    s.controllers.jobs.scriptFor = () => ({ waiting: { reason: 'ImagePullBackOff' } });
    const applied = await applyJob(job('stuck', { restartPolicy: 'Never', containers: [container] }));
    const uid = (JSON.parse(applied.text) as { metadata: { uid: string } }).metadata.uid;
    const owned = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'stuck', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'stuck', uid }] },
      stringData: { x: 'y' },
    };
    const secret = await call('PATCH', '/api/v1/namespaces/ns1/secrets/stuck?fieldManager=berth', owned);
    expect(JSON.parse(secret.text)).toMatchObject({ metadata: { ownerReferences: [{ uid }] } });
    await until(() => s.list('v1', 'Pod', 'ns1').some((p) => JSON.stringify(p.status).includes('ImagePullBackOff')));
    const pod = s.list('v1', 'Pod', 'ns1')[0]!.metadata.name;
    const log = await call('GET', `/api/v1/namespaces/ns1/pods/${pod}/log?container=kaniko`);
    expect(log.status).toBe(400);
    expect((JSON.parse(log.text) as Status).message).toBe(`container "kaniko" in pod "${pod}" is waiting to start`);
    expect((await call('DELETE', '/apis/batch/v1/namespaces/ns1/jobs/stuck')).status).toBe(200);
    expect(s.get('v1', 'Secret', 'ns1', 'stuck')).toBeUndefined();
    expect(s.list('v1', 'Pod', 'ns1')).toEqual([]);
  });
});
