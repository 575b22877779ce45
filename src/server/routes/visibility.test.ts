import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../testing/apiContext.js';
import { waitFor } from '../../runtime/local/testdata/testing.js';
import { FakeRuntime } from '../../release/engine/testing/fakeRuntime.js';

const spec = (name: string) => ({
  file: `/apps/${name}/berth.yaml`,
  text: `name: ${name}\nservices:\n  web:\n    image: ${name}/web:1\n    ports: [8080]\n`,
});

describe('lists show what the caller may see', () => {
  let t: TestApi;
  let token: string;
  beforeAll(async () => {
    const runtime = new FakeRuntime();
    t = await testApi({ runtimeFor: async () => runtime.view() });
    for (const env of ['test', 'prod']) await t.ctx.environments.create({ name: env, target: { kind: 'local' } });
    for (const [app, env] of [
      ['shop', 'test'],
      ['bank', 'test'],
      ['shop', 'prod'],
    ] as const) {
      const r = await t.request({ method: 'POST', url: '/api/v1/releases', body: { env, spec: spec(app) } });
      expect(r.statusCode).toBe(202);
    }
    await waitFor(async () => (await t.request({ method: 'GET', url: '/api/v1/apps' })).json<unknown[]>().length === 3);
    await t.ctx.access.users.create({ name: 'dev', kind: 'user', createdBy: 'test' });
    await t.ctx.access.roles.bind({
      subjectKind: 'user',
      subject: 'dev',
      role: 'developer',
      app: 'shop',
      env: 'test',
      createdBy: 'test',
    });
    token = (await t.ctx.access.tokens.issue({ name: 't', kind: 'personal', user: 'dev', createdBy: 'test' })).secret;
  });
  afterAll(async () => t.close());

  const asDev = (url: string) => t.request({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

  it("lists only the apps and environments of the caller's grants", async () => {
    const apps = (await asDev('/api/v1/apps')).json<{ app: string; env: string }[]>();
    expect(apps.map((a) => `${a.app}/${a.env}`)).toEqual(['shop/test']);
    const envs = (await asDev('/api/v1/environments')).json<{ name: string }[]>();
    expect(envs.map((e) => e.name)).toEqual(['test']);
    // the bootstrap admin sees everything
    expect((await t.request({ method: 'GET', url: '/api/v1/apps' })).json<unknown[]>()).toHaveLength(3);
  });

  it("checks the other environment an operation reads: a copy's and a promotion's source, a diff's other side", async () => {
    const send = (method: 'GET' | 'POST', url: string, body?: object) =>
      t.request({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body ? { body } : {}) });
    // dev may deploy shop in test, and read nothing of prod
    const promotion = await send('POST', '/api/v1/promotions', { app: 'shop', from: 'prod', to: 'test' });
    expect(promotion.statusCode).toBe(403);
    expect(promotion.json()).toMatchObject({ details: { permission: 'apps:read', app: 'shop', env: 'prod' } });
    const preview = await send('POST', '/api/v1/promotions/preview', { app: 'shop', from: 'prod', to: 'test' });
    expect(preview.json()).toMatchObject({ details: { permission: 'apps:read', env: 'prod' } });

    // an admin of environment test alone cannot pull prod's secrets into it, nor read prod's config by a diff
    await t.ctx.access.users.create({ name: 'test-admin', kind: 'user', createdBy: 'test' });
    await t.ctx.access.roles.bind({
      subjectKind: 'user',
      subject: 'test-admin',
      role: 'admin',
      env: 'test',
      createdBy: 'test',
    });
    const admin = (
      await t.ctx.access.tokens.issue({ name: 't', kind: 'personal', user: 'test-admin', createdBy: 'test' })
    ).secret;
    const asAdmin = (method: 'GET' | 'POST', url: string, body?: object) =>
      t.request({ method, url, headers: { authorization: `Bearer ${admin}` }, ...(body ? { body } : {}) });
    const copy = await asAdmin('POST', '/api/v1/environments/test/copy', { from: 'prod', intoExisting: true });
    expect(copy.statusCode).toBe(403);
    expect(copy.json()).toMatchObject({ details: { permission: 'environments:read', env: 'prod' } });
    const diff = await asAdmin('GET', '/api/v1/environments/test/config-diff?to=prod');
    expect(diff.json()).toMatchObject({ details: { permission: 'environments:read', env: 'prod' } });
    // within its own environment it may
    expect((await asAdmin('GET', '/api/v1/environments/test/config-diff?to=test')).statusCode).not.toBe(403);
  });

  it('shows in the other lists only what the grants of the caller cover: approval requests, webhook deliveries', async () => {
    const approvals = t.ctx.approvals!;
    for (const [app, env] of [
      ['shop', 'test'],
      ['bank', 'test'],
      ['shop', 'prod'],
    ] as const)
      await approvals.create({
        action: 'config',
        app,
        env,
        request: {},
        shown: {},
        author: 'someone',
        reason: null,
        required: 1,
      });
    const asked = (await asDev('/api/v1/approvals')).json<{ app: string; env: string }[]>();
    expect(asked.map((a) => `${a.app}/${a.env}`)).toEqual(['shop/test']);

    for (const app of ['shop', 'bank'])
      await t.ctx.hookDeliveries.refuse({
        provider: 'github',
        app,
        receivedAt: new Date().toISOString(),
        status: 401,
        outcome: 'refused',
      });
    const deliveries = (await asDev('/api/v1/hooks/deliveries')).json<{ app: string }[]>();
    expect(deliveries.map((d) => d.app)).toEqual(['shop']);
  });
});
