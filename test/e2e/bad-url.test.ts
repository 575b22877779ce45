/**
 * A URL whose percent-encoding does not decode, sent to a real control plane with or without a
 * token, is a 400 naming it, logged at debug without a stack (`GET /%25E0` was a 500 with a stack
 * trace at error level: anyone could fill the log).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerth, type Berth } from './harness.js';

interface ErrorBody {
  code: string;
  message: string;
}

let berth: Berth;
const base = '/api/v1/apps/shop/envs/local';

beforeAll(async () => {
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
});

describe('a URL that does not percent-decode', () => {
  it('is a 400 naming the URL, logged at debug without a stack, with or without a token', async () => {
    const bad: [string, string][] = [
      ['GET', '/%E0'],
      ['GET', '/apps/%C0%AF'],
      ['GET', `${base}/config/values/%E0%80`],
      ['POST', `${base}/services/%C0/scale`],
      ['GET', `/api/v1/apps/%FF/envs/local/releases`],
    ];
    for (const [method, url] of bad) {
      for (const token of [null, berth.token]) {
        const r = await berth.api<ErrorBody>(method, url, undefined, { token });
        expect(r.status, `${method} ${url}: ${JSON.stringify(r.body)}`).toBe(400);
        expect(r.body.code).toBe('VALIDATION');
        expect(r.body.message).toBe('malformed URL');
      }
    }
    // %25 is an encoded `%`: /%25E0 is the console path "/%E0", served like any other console path
    // (it was decoded twice and answered 500 with a stack in the log).
    const console = await berth.api<string>('GET', '/%25E0', undefined, { token: null });
    expect(console.status).toBe((await berth.api('GET', '/some/console/page', undefined, { token: null })).status);
    expect(console.status).toBeLessThan(500);

    // The log: nothing at error level, no stack trace, nothing about these URLs above debug.
    const log = await readFile(join(berth.home, 'server.log'), 'utf8');
    const entries = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.filter((e) => e.level >= 50)).toEqual([]);
    expect(log).not.toContain('URIError');
    expect(log).not.toMatch(/%E0|%C0|%FF|%25E0/);
  });
});
