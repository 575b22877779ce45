import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, UNAUTHORIZED_EVENT } from './client';
import { clearSession, getCsrf, getToken, maySessionBeOpen, setSession, setToken } from '../auth/token';
import { answerFetch } from '../test/render';

afterEach(() => clearSession());

function sent(fetch: ReturnType<typeof vi.fn>, n = 0): RequestInit {
  return fetch.mock.calls[n]![1] as RequestInit;
}

describe('the API client', () => {
  it('sends a session’s CSRF token with every change, never with a read, and the cookie same-origin', async () => {
    const fetch = answerFetch({
      'GET /api/v1/apps': [],
      'PATCH /api/v1/apps/shop/envs/test/config': { version: 2 },
      'DELETE /api/v1/session': {},
    });
    setSession('csrf-1');
    await api('GET', '/api/v1/apps');
    await api('PATCH', '/api/v1/apps/shop/envs/test/config', { set: { A: '1' } });
    await api('DELETE', '/api/v1/session');
    expect(sent(fetch, 0).credentials).toBe('same-origin');
    expect(sent(fetch, 0).headers).toEqual({});
    expect(sent(fetch, 1).credentials).toBe('same-origin');
    expect(sent(fetch, 1).headers).toEqual({ 'x-berth-csrf': 'csrf-1', 'content-type': 'application/json' });
    expect(sent(fetch, 2).headers).toEqual({ 'x-berth-csrf': 'csrf-1' });
  });

  it('sends a token as the Bearer header and no CSRF token', async () => {
    const fetch = answerFetch({ 'POST /api/v1/releases': { revision: 1 } });
    setToken('berth_abc');
    await api('POST', '/api/v1/releases', {});
    expect(sent(fetch).headers).toEqual({ authorization: 'Bearer berth_abc', 'content-type': 'application/json' });
  });

  it('forgets every credential on a 401 and tells the shell', async () => {
    answerFetch({ '/api/v1/me': [401, { code: 'UNAUTHORIZED', message: 'sign in' }] });
    setToken('old');
    setSession('csrf-2');
    const heard = vi.fn();
    window.addEventListener(UNAUTHORIZED_EVENT, heard);
    await expect(api('GET', '/api/v1/me')).rejects.toBeInstanceOf(ApiError);
    window.removeEventListener(UNAUTHORIZED_EVENT, heard);
    expect(heard).toHaveBeenCalledTimes(1);
    expect(getToken()).toBeNull();
    expect(getCsrf()).toBeNull();
    expect(maySessionBeOpen()).toBe(false);
  });

  it('keeps a 403’s message and a 429’s Retry-After', async () => {
    const fn = vi.fn(async () =>
      Promise.resolve(
        new Response(JSON.stringify({ code: 'RATE_LIMITED', message: 'too many' }), {
          status: 429,
          headers: { 'retry-after': '42' },
        }),
      ),
    );
    vi.stubGlobal('fetch', fn);
    const err = (await api('POST', '/api/v1/session', {}).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBe(42);
    answerFetch({ 'POST /api/v1/releases': [403, { code: 'FORBIDDEN', message: 'needs apps:deploy on app shop' }] });
    await expect(api('POST', '/api/v1/releases', {})).rejects.toThrow('needs apps:deploy on app shop');
  });
});
