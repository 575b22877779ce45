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
});
