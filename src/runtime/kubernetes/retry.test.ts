import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ApiException } from '@kubernetes/client-node';
import { backoffMs, DEFAULT_RETRY, retryWatch, transientReason, withRetry, type RetryPolicy } from './retry.js';

const api = (code: number, headers: Record<string, string> = {}) => new ApiException(code, 'x', {}, headers);
const reset = Object.assign(new Error('request to http://127.0.0.1/ failed, reason: socket hang up'), {
  code: 'ECONNRESET',
});

describe('retry of transient API errors', () => {
  it('retries 429, 5xx but 501, and resets; nothing else', () => {
    expect(transientReason(api(429))).toMatch(/429/);
    expect(transientReason(api(503))).toBe('HTTP 503');
    expect(transientReason(api(500))).toBe('HTTP 500');
    expect(transientReason(reset)).toBe('ECONNRESET');
    expect(transientReason(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))).toBe('ECONNREFUSED');
    for (const code of [400, 403, 404, 409, 410, 422, 501]) expect(transientReason(api(code))).toBeUndefined();
    expect(transientReason(new Error('boom'))).toBeUndefined();
  });

  it('backs off exponentially with jitter, bounded, and honours Retry-After (seconds or a date)', () => {
    const p = (random: number): RetryPolicy => ({ ...DEFAULT_RETRY, baseMs: 100, maxMs: 1000, random: () => random });
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(p(0), n, api(503)))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(p(0.999), n, api(503)))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffMs(p(0.5), 1, api(429, { 'Retry-After': '0' }))).toBe(0);
    expect(backoffMs(p(0.5), 1, api(429, { 'retry-after': '3' }))).toBe(1000); // capped at maxMs
    const now = Date.parse('2026-01-01T00:00:00Z');
    const dated = api(503, { 'retry-after': 'Thu, 01 Jan 2026 00:00:00 GMT' });
    expect(backoffMs({ ...p(0.5), now: () => now - 600 }, 1, dated)).toBe(600);
  });

  it('tries at most `attempts` times, sleeping between, and stops at the first lasting error', async () => {
    const slept: number[] = [];
    const policy: RetryPolicy = {
      ...DEFAULT_RETRY,
      attempts: 4,
      baseMs: 10,
      random: () => 0,
      sleep: async (ms) => void slept.push(ms),
    };
    let calls = 0;
    await expect(
      withRetry(
        'x',
        async () => {
          calls++;
          throw api(502);
        },
        policy,
      ),
    ).rejects.toThrow(/HTTP-Code: 502/);
    expect(calls).toBe(4);
    expect(slept).toEqual([5, 10, 20]);
    calls = 0;
    const answer = await withRetry(
      'y',
      async () => {
        if (++calls < 3) throw reset;
        return 'ok';
      },
      policy,
    );
    expect([answer, calls]).toEqual(['ok', 3]);
    calls = 0;
    await expect(
      withRetry(
        'z',
        async () => {
          calls++;
          throw api(404);
        },
        policy,
      ),
    ).rejects.toThrow();
    expect(calls).toBe(1);
  });

  it('ends a backoff under way at once when the closing signal aborts, for calls and watch starts', async () => {
    const policy: RetryPolicy = { ...DEFAULT_RETRY, baseMs: 60_000, maxMs: 60_000, random: () => 0 };
    const closing = new AbortController();
    let calls = 0;
    const call = withRetry(
      'objects.patch',
      async () => {
        calls++;
        throw api(503);
      },
      policy,
      closing.signal,
    );
    const watchEnded = new Promise<unknown>((resolve) => {
      const failing = async (_p: string, _q: object, _cb: unknown, done: (err: unknown) => void) => {
        calls++;
        setImmediate(() => done(api(503)));
        return new AbortController();
      };
      void retryWatch(failing, policy, closing.signal)('/api/v1/pods', {}, () => undefined, resolve);
    });
    await new Promise((r) => setTimeout(r, 50));
    const at = Date.now();
    closing.abort(new Error('the runtime is closing'));
    await expect(call).rejects.toThrow('objects.patch: not retried (the runtime is closing)');
    expect(await watchEnded).toBeNull();
    expect(Date.now() - at).toBeLessThan(500);
    expect(calls).toBe(2); // one try each, none after the close
  });

  it('leaves no listener on the closing signal once a watch ended, however many watches ended', async () => {
    const closing = new AbortController();
    const ending = async (_p: string, _q: object, _cb: unknown, done: (err: unknown) => void) => {
      setImmediate(() => done(null));
      return new AbortController();
    };
    for (let i = 0; i < 20; i++)
      await new Promise((resolve) => {
        void retryWatch(ending, DEFAULT_RETRY, closing.signal)('/api/v1/pods', {}, () => undefined, resolve);
      });
    expect(getEventListeners(closing.signal, 'abort')).toHaveLength(0);
  });
});
