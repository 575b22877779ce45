import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../testing/apiContext.js';

describe('single sign-on routes of a control plane without it', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await testApi();
  });
  afterAll(async () => t.close());

  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  it('are public, say it is off, and send a console sign-in back to /signin with the reason', async () => {
    const info = await t.api.inject({ method: 'GET', url: '/api/v1/sso' });
    expect(info.statusCode).toBe(200);
    expect(info.json()).toEqual({ enabled: false });
    const login = await t.api.inject({ method: 'GET', url: '/api/v1/sso/login?to=/apps' });
    expect(login.statusCode).toBe(302);
    // with the page it was for (a path of the console only), so that signing in from there returns to it
    expect(login.headers.location).toBe('/signin?error=sso_unavailable&to=%2Fapps');
    const away = await t.api.inject({ method: 'GET', url: '/api/v1/sso/login?to=//evil.example/x' });
    expect(away.headers.location).toBe('/signin?error=sso_unavailable');
    const callback = await t.api.inject({ method: 'GET', url: '/api/v1/sso/callback?code=x&state=y' });
    expect(callback.headers.location).toBe('/signin?error=sso_unavailable');
    const cli = await t.api.inject({ method: 'POST', url: '/api/v1/sso/cli', payload: { port: 5000, challenge } });
    expect(cli.statusCode).toBe(503);
  });

  it('check the CLI body, naming the field', async () => {
    const r = await t.api.inject({ method: 'POST', url: '/api/v1/sso/cli', payload: { port: 22, challenge } });
    expect(r.statusCode).toBe(400);
    expect(JSON.stringify(r.json())).toContain('port');
  });

  it('rate-limit CLI sign-ins per address (429 + Retry-After)', async () => {
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 22; i++) {
      const r = await t.api.inject({
        method: 'POST',
        url: '/api/v1/sso/cli',
        payload: { port: 5000, challenge },
        remoteAddress: '10.9.8.7',
      });
      statuses.push(r.statusCode);
      retryAfter ??= r.headers['retry-after'] as string | undefined;
    }
    expect(statuses.slice(0, 20).every((s) => s === 503)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Another address is not held back.
    const other = await t.api.inject({
      method: 'POST',
      url: '/api/v1/sso/cli',
      payload: { port: 5000, challenge },
      remoteAddress: '10.9.8.6',
    });
    expect(other.statusCode).toBe(503);
  });
});
