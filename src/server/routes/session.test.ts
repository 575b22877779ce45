import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../testing/apiContext.js';

describe('signing in with a password', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await testApi();
    await t.ctx.access.users.create({
      name: 'dev',
      kind: 'user',
      password: 'correct horse battery',
      createdBy: 'test',
    });
    await t.ctx.access.roles.bind({ subjectKind: 'user', subject: 'dev', role: 'viewer', createdBy: 'test' });
  });
  afterAll(async () => t.close());

  const anonymous = (o: {
    method: 'GET' | 'POST' | 'DELETE';
    url: string;
    body?: object;
    headers?: Record<string, string>;
  }) =>
    t.api.inject({ method: o.method, url: o.url, headers: o.headers ?? {}, ...(o.body ? { payload: o.body } : {}) });

  it('issues a personal token for a right password, and the same 401 for a wrong one or an unknown user', async () => {
    const ok = await anonymous({
      method: 'POST',
      url: '/api/v1/login',
      body: { user: 'dev', password: 'correct horse battery', expiresIn: '1d' },
    });
    expect(ok.statusCode).toBe(201);
    const { token, expiresAt } = ok.json<{ token: string; expiresAt: string }>();
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);
    const me = await anonymous({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json()).toMatchObject({
      name: 'dev',
      kind: 'user',
      via: 'token',
      grants: [{ role: 'viewer', app: '*', env: '*' }],
    });

    const wrong = await anonymous({
      method: 'POST',
      url: '/api/v1/login',
      body: { user: 'dev', password: 'wrong password!' },
    });
    const nobody = await anonymous({
      method: 'POST',
      url: '/api/v1/login',
      body: { user: 'nobody', password: 'wrong password!' },
    });
    expect([wrong.statusCode, nobody.statusCode]).toEqual([401, 401]);
    expect(wrong.json().message).toBe(nobody.json().message);

    const bad = await anonymous({
      method: 'POST',
      url: '/api/v1/login',
      body: { user: 'dev', password: 'correct horse battery', expiresIn: '9999d' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().problems[0].path).toBe('expiresIn');
  });

  it('opens a console session whose changes need the CSRF token, and ends it', async () => {
    const opened = await anonymous({
      method: 'POST',
      url: '/api/v1/session',
      body: { user: 'dev', password: 'correct horse battery' },
    });
    expect(opened.statusCode).toBe(200);
    const cookie = opened.cookies.find((c) => c.name === 'berth_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const { csrf } = opened.json<{ csrf: string }>();
    const jar = { cookie: `berth_session=${cookie!.value}` };

    const me = await anonymous({ method: 'GET', url: '/api/v1/me', headers: jar });
    expect(me.json()).toMatchObject({ name: 'dev', via: 'session', csrf, signedInWith: 'password' });

    // a change without the CSRF token is refused before anything else is looked at
    const forged = await anonymous({
      method: 'POST',
      url: '/api/v1/environments',
      headers: jar,
      body: { name: 'x', target: { kind: 'local' } },
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().message).toContain('CSRF');
    // with it, the viewer gets the permission it lacks named
    const denied = await anonymous({
      method: 'POST',
      url: '/api/v1/environments',
      headers: { ...jar, 'x-berth-csrf': csrf },
      body: { name: 'x', target: { kind: 'local' } },
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ code: 'FORBIDDEN', details: { permission: 'environments:write', env: 'x' } });

    expect((await anonymous({ method: 'DELETE', url: '/api/v1/session', headers: jar })).statusCode).toBe(401);
    expect(
      (await anonymous({ method: 'DELETE', url: '/api/v1/session', headers: { ...jar, 'x-berth-csrf': csrf } }))
        .statusCode,
    ).toBe(204);
    expect((await anonymous({ method: 'GET', url: '/api/v1/me', headers: jar })).statusCode).toBe(401);
  });

  it('rate-limits failed sign-ins with 429 and Retry-After, even for the right password', async () => {
    const attempt = (password: string) =>
      anonymous({
        method: 'POST',
        url: '/api/v1/session',
        body: { user: 'limited', password },
        headers: { 'x-forwarded-for': '1' },
      });
    await t.ctx.access.users.create({
      name: 'limited',
      kind: 'user',
      password: 'the right password',
      createdBy: 'test',
    });
    const answers: number[] = [];
    for (let i = 0; i < 6; i++) answers.push((await attempt('a wrong password')).statusCode);
    expect(answers).toEqual([401, 401, 401, 401, 401, 429]);
    const limited = await attempt('the right password');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers 401 to a request without identity, and never to the sign-in routes for it', async () => {
    expect((await anonymous({ method: 'GET', url: '/api/v1/apps' })).statusCode).toBe(401);
    expect(
      (await anonymous({ method: 'GET', url: '/api/v1/apps', headers: { cookie: 'berth_session=forged' } })).statusCode,
    ).toBe(401);
    expect((await anonymous({ method: 'POST', url: '/api/v1/login', body: {} })).statusCode).toBe(400);
  });
});
