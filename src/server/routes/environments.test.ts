/**
 * The environment routes through fastify's inject() on a real store: create, read, change and
 * delete, and what each refuses (a duplicate, a bad name, an edge port on a cluster, an unknown one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../testing/apiContext.js';
import { createStoredRelease } from '../../release/testing/storedRelease.js';

describe('the environment routes', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await testApi();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates an environment with its defaults, lists it beside local, and refuses it twice', async () => {
    const made = await t.request({
      method: 'POST',
      url: '/api/v1/environments',
      body: { name: 'staging', defaults: { LOG_LEVEL: 'debug' } },
    });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ name: 'staging', target: { kind: 'local' }, defaults: { LOG_LEVEL: 'debug' } });
    const list = await t.request({ method: 'GET', url: '/api/v1/environments' });
    expect(
      list
        .json<{ name: string }[]>()
        .map((e) => e.name)
        .sort(),
    ).toEqual(['local', 'staging']);
    const again = await t.request({ method: 'POST', url: '/api/v1/environments', body: { name: 'staging' } });
    expect(again.statusCode).toBe(409);
  });

  it('refuses a name that is not a DNS label, naming the body field', async () => {
    const r = await t.request({ method: 'POST', url: '/api/v1/environments', body: { name: 'Prod_1' } });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ problems: { path: string }[] }>().problems.map((p) => p.path)).toEqual(['name']);
  });

  it('changes an environment’s time zone, and refuses an edge port on a cluster', async () => {
    const tz = await t.request({
      method: 'PATCH',
      url: '/api/v1/environments/staging',
      body: { timeZone: 'Europe/Berlin' },
    });
    expect(tz.statusCode).toBe(200);
    expect(tz.json()).toMatchObject({ target: { kind: 'local', timeZone: 'Europe/Berlin' } });
    await t.request({
      method: 'POST',
      url: '/api/v1/environments',
      body: { name: 'prod', target: { kind: 'kubernetes', namespace: 'shop' } },
    });
    const edge = await t.request({ method: 'PATCH', url: '/api/v1/environments/prod', body: { edgePort: 9000 } });
    expect(edge.statusCode).toBe(400);
  });

  it('deletes an environment; a deleted or unknown one is not found, and its apps leave the overview', async () => {
    const spec = 'name: shop\nservices:\n  web:\n    command: sleep 60\n';
    const staged = await createStoredRelease(t.ctx.releases, { spec, env: 'staging' });
    // It failed: nothing runs there, so the environment can go.
    await t.ctx.releases.finish(staged.id, 'failed', 'boom', {
      releaseId: staged.id,
      time: new Date().toISOString(),
      service: null,
      type: 'Warning',
      reason: 'Failed',
      message: 'boom',
    });
    await createStoredRelease(t.ctx.releases, { spec, env: 'local' });
    const apps = async (): Promise<string[]> =>
      (await t.request({ method: 'GET', url: '/api/v1/apps' }))
        .json<{ env: string }[]>()
        .map((a) => a.env)
        .sort();
    expect(await apps()).toEqual(['local', 'staging']);
    expect((await t.request({ method: 'DELETE', url: '/api/v1/environments/staging' })).statusCode).toBe(204);
    expect(await apps()).toEqual(['local']);
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/staging' })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/__proto__' })).statusCode).toBe(404);
  });
});
