import { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TrackTraffic } from '../model/observation.js';
import type { Gateway } from './server.js';
import type { Backend, RoutingTable, ServiceListener } from './table.js';
import type { Upstream } from './testing.js';
import type { TestGateway } from './testing.js';
import { fetchText, freePort, refusingPort, startTestGateway } from './testing.js';
import { cookieValue } from './trafficSplit.js';

let t: TestGateway;
let gw: Gateway;
let token: string;
const upstream = (name: string, delayMs = 0, status = 200): Promise<Upstream> => t.upstream(name, delayMs, status);

const stable = (u: Upstream): Backend => ({ id: u.name, host: '127.0.0.1', port: u.port });
const canary = (u: Upstream): Backend => ({ id: u.name, host: '127.0.0.1', port: u.port, track: 'canary' });
const apply = (services: ServiceListener[], edges: RoutingTable['edges'] = []): Promise<void> =>
  t.apply({ services, edges });

interface ServiceTrafficJSON {
  key: string;
  tracks: TrackTraffic[];
  unavailable: number;
}

async function traffic(key: string): Promise<{ stable: TrackTraffic; canary: TrackTraffic; unavailable: number }> {
  const res = await fetchText(`http://127.0.0.1:${gw.controlPort}/stats`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const s = (JSON.parse(res.text) as { services: ServiceTrafficJSON[] }).services.find((x) => x.key === key)!;
  return {
    stable: s.tracks.find((t) => t.track === 'stable')!,
    canary: s.tracks.find((t) => t.track === 'canary')!,
    unavailable: s.unavailable,
  };
}

/**
 * Sends `n` GETs to `port` over 8 keep-alive connections; counts the answers per upstream name
 * (from the upstream's `x-upstream` header) and per status.
 */
async function load(
  port: number,
  n: number,
  init: { headers?: Record<string, string>; method?: 'GET' | 'POST'; path?: string } = {},
): Promise<{ byUpstream: Record<string, number>; byStatus: Record<number, number> }> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 8 });
  const byUpstream: Record<string, number> = {};
  const byStatus: Record<number, number> = {};
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < n) {
      sent++;
      const res = await pool.request({
        method: init.method ?? 'GET',
        path: init.path ?? '/',
        headers: init.headers,
        body: init.method === 'POST' ? 'x' : undefined,
      });
      await res.body.text();
      const name = res.headers['x-upstream'];
      if (typeof name === 'string') byUpstream[name] = (byUpstream[name] ?? 0) + 1;
      byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    await pool.close();
  }
  return { byUpstream, byStatus };
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

beforeAll(async () => {
  t = await startTestGateway({ drainTimeoutMs: 2_000 });
  ({ gateway: gw, token } = t);
});

afterAll(async () => {
  await t?.close();
});

afterEach(async () => {
  await apply([]);
});

describe('traffic split', () => {
  it('sends nothing to the canary at weight 0 and everything at weight 100', async () => {
    const [s, c] = await Promise.all([upstream('w-stable'), upstream('w-canary')]);
    const port = await freePort();
    const key = 'shop/local/w';
    await apply([{ key, port, backends: [stable(s), canary(c)], split: { canaryWeight: 0 } }]);
    expect((await load(port, 200)).byUpstream).toEqual({ 'w-stable': 200 });

    await apply([{ key, port, backends: [stable(s), canary(c)], split: { canaryWeight: 100 } }]);
    expect((await load(port, 200)).byUpstream).toEqual({ 'w-canary': 200 });

    // Without a split, canary backends get nothing either.
    await apply([{ key, port, backends: [stable(s), canary(c)] }]);
    expect((await load(port, 100)).byUpstream).toEqual({ 'w-stable': 100 });
  });

  it('sends about 30% to the canary at weight 30, round robin within each track', async () => {
    const [s1, s2, c1] = await Promise.all([upstream('p-s1'), upstream('p-s2'), upstream('p-c1')]);
    const port = await freePort();
    await apply([
      { key: 'shop/local/p', port, backends: [stable(s1), canary(c1), stable(s2)], split: { canaryWeight: 30 } },
    ]);
    const { byUpstream, byStatus } = await load(port, 2000);
    expect(byStatus).toEqual({ 200: 2000 });
    const canaryShare = byUpstream['p-c1']! / 2000;
    // Binomial(2000, 0.3) has a standard deviation of ~1%: ±5% is ~5 sigma.
    expect(canaryShare).toBeGreaterThan(0.25);
    expect(canaryShare).toBeLessThan(0.35);
    const stableTotal = byUpstream['p-s1']! + byUpstream['p-s2']!;
    expect(stableTotal + byUpstream['p-c1']!).toBe(2000);
    expect(Math.abs(byUpstream['p-s1']! - byUpstream['p-s2']!)).toBeLessThanOrEqual(1);
  });

  it('routes a matching header or cookie to the canary and everything else to stable', async () => {
    const [s, c] = await Promise.all([upstream('m-stable'), upstream('m-canary')]);
    const [hPort, cPort] = [await freePort(), await freePort()];
    await apply([
      {
        key: 'shop/local/by-header',
        port: hPort,
        backends: [stable(s), canary(c)],
        split: { canaryWeight: 0, match: { header: 'X-Canary', value: 'yes' } },
      },
      {
        key: 'shop/local/by-cookie',
        port: cPort,
        backends: [stable(s), canary(c)],
        split: { canaryWeight: 0, match: { cookie: 'variant', value: 'b' } },
      },
    ]);
    const via = async (port: number, headers: Record<string, string>): Promise<string> =>
      (await fetchText(`http://127.0.0.1:${port}/`, { headers })).headers['x-upstream'] as string;

    expect(await via(hPort, { 'x-canary': 'yes' })).toBe('m-canary');
    expect(await via(hPort, { 'X-CANARY': 'yes' })).toBe('m-canary');
    expect(await via(hPort, { 'x-canary': 'no' })).toBe('m-stable');
    expect(await via(hPort, { 'x-canary': 'yes please' })).toBe('m-stable');
    expect(await via(hPort, {})).toBe('m-stable');
    expect(await via(hPort, { cookie: 'x-canary=yes' })).toBe('m-stable');

    expect(await via(cPort, { cookie: 'variant=b' })).toBe('m-canary');
    expect(await via(cPort, { cookie: 'a=1; variant=b; z=2' })).toBe('m-canary');
    expect(await via(cPort, { cookie: 'a=1;variant="b"' })).toBe('m-canary');
    expect(await via(cPort, { cookie: 'variant=bb' })).toBe('m-stable');
    expect(await via(cPort, { cookie: 'xvariant=b; variant=a' })).toBe('m-stable');
    expect(await via(cPort, { 'x-variant': 'b' })).toBe('m-stable');
    expect(await via(cPort, {})).toBe('m-stable');
  });

  it('parses cookie headers', () => {
    expect(cookieValue('a=1; b=2', 'b')).toBe('2');
    expect(cookieValue('a=1;b=2 ', 'b')).toBe('2');
    expect(cookieValue(' b = 3 ', 'b')).toBe('3');
    expect(cookieValue('ab=1; b', 'b')).toBeUndefined();
    expect(cookieValue('a=x=y', 'a')).toBe('x=y');
    expect(cookieValue('', 'a')).toBeUndefined();
    expect(cookieValue('bb=1; b=', 'b')).toBe('');
    expect(cookieValue('b2=1;  b=x;', 'b')).toBe('x');
  });

  it('never answers 503 while either track has a ready backend', async () => {
    const [s, c] = await Promise.all([upstream('e-stable'), upstream('e-canary')]);
    const port = await freePort();
    const key = 'shop/local/e';
    // All weight on a canary that has no backend: stable serves.
    await apply([{ key, port, backends: [stable(s)], split: { canaryWeight: 100 } }]);
    expect(await load(port, 50)).toEqual({ byUpstream: { 'e-stable': 50 }, byStatus: { 200: 50 } });
    // No stable backend (the canary promoted, stable gone): the canary serves.
    await apply([{ key, port, backends: [canary(c)] }]);
    expect(await load(port, 50)).toEqual({ byUpstream: { 'e-canary': 50 }, byStatus: { 200: 50 } });
    // Neither: 503, counted at set level, not in a track.
    await apply([{ key, port, backends: [], split: { canaryWeight: 50 } }]);
    expect((await load(port, 3)).byStatus).toEqual({ 503: 3 });
    const t = await traffic(key);
    expect(t.unavailable).toBe(3);
    expect(t.stable.requests).toBe(50);
    expect(t.canary.requests).toBe(50);
  });

  it('retries within the track first, then on the other track', async () => {
    const [s, c] = await Promise.all([upstream('r-stable'), upstream('r-canary')]);
    const refusing = await refusingPort();
    const dead = (id: string, track: Backend['track']): Backend => ({ id, host: '127.0.0.1', port: refusing, track });
    const port = await freePort();
    const key = 'shop/local/r';
    // A dead stable backend beside a live one: GETs retry on the live stable one, never on the canary.
    await apply([
      { key, port, backends: [dead('dead-s', 'stable'), stable(s), canary(c)], split: { canaryWeight: 0 } },
    ]);
    expect(await load(port, 40)).toEqual({ byUpstream: { 'r-stable': 40 }, byStatus: { 200: 40 } });
    // The canary's only backend is dead: its GETs fall back to stable and count there.
    await apply([{ key, port, backends: [stable(s), dead('dead-c', 'canary')], split: { canaryWeight: 100 } }]);
    const before = await traffic(key);
    expect(await load(port, 20)).toEqual({ byUpstream: { 'r-stable': 20 }, byStatus: { 200: 20 } });
    // A POST is not retried: the gateway's own 502 is an error of the canary track.
    expect((await load(port, 5, { method: 'POST' })).byStatus).toEqual({ 502: 5 });
    const after = await traffic(key);
    expect(after.stable.requests - before.stable.requests).toBe(20);
    expect(after.stable.errors - before.stable.errors).toBe(0);
    expect(after.canary.requests - before.canary.requests).toBe(5);
    expect(after.canary.errors - before.canary.errors).toBe(5);
  });
});

describe('per-track counters', () => {
  it('counts requests, errors and latency per track over the service address and the edge together', async () => {
    const [s, c] = await Promise.all([upstream('c-stable'), upstream('c-canary', 30, 500)]);
    const [port, edgePort] = [await freePort(), await freePort()];
    const key = 'shop/local/c';
    await apply(
      [{ key, port, backends: [stable(s), canary(c)], split: { canaryWeight: 40 } }],
      [{ key: 'shop/local', port: edgePort, routes: [{ pathPrefix: '/api', target: key, stripPrefix: true }] }],
    );
    const viaService = await load(port, 150);
    const viaEdge = await load(edgePort, 100, { path: '/api/x' });
    const stableHits = (viaService.byUpstream['c-stable'] ?? 0) + (viaEdge.byUpstream['c-stable'] ?? 0);
    const canaryHits = (viaService.byUpstream['c-canary'] ?? 0) + (viaEdge.byUpstream['c-canary'] ?? 0);
    expect(stableHits + canaryHits).toBe(250);
    expect(canaryHits).toBeGreaterThan(0);
    expect(s.hits).toBe(stableHits);
    expect(c.hits).toBe(canaryHits);

    const t = await traffic(key);
    expect(t.stable).toMatchObject({ track: 'stable', requests: stableHits, errors: 0 });
    expect(t.canary).toMatchObject({ track: 'canary', requests: canaryHits, errors: canaryHits });
    for (const track of [t.stable, t.canary]) {
      expect(track.latencyBucketsMs).toEqual([1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]);
      expect(track.latencyCounts).toHaveLength(14);
      expect(sum(track.latencyCounts)).toBe(track.requests);
      expect(track.latencySumMs).toBeGreaterThan(0);
    }
    // The canary answers after 30 ms: no request of it can fall in a bucket up to 25 ms.
    expect(sum(t.canary.latencyCounts.slice(0, 5))).toBe(0);
    expect(t.canary.latencySumMs).toBeGreaterThanOrEqual(30 * canaryHits);
    expect(t.unavailable).toBe(0);
  });

  it('keeps the counters across table updates while the service stays, and drops them when it goes', async () => {
    const [s, s2, c] = await Promise.all([upstream('k-stable'), upstream('k-stable-2'), upstream('k-canary')]);
    const port = await freePort();
    const key = 'shop/local/k';
    await apply([{ key, port, backends: [stable(s), canary(c)], split: { canaryWeight: 100 } }]);
    await load(port, 10);
    // New backends, new split, another service beside it: the counters carry on.
    await apply([
      { key, port, backends: [stable(s), stable(s2)], split: { canaryWeight: 0 } },
      { key: 'shop/local/other', port: await freePort(), backends: [stable(s)] },
    ]);
    await load(port, 6);
    const t = await traffic(key);
    expect(t.canary.requests).toBe(10);
    expect(t.stable.requests).toBe(6);
    expect(sum(t.canary.latencyCounts)).toBe(10);

    await apply([{ key: 'shop/local/other', port: await freePort(), backends: [stable(s)] }]);
    const res = await fetchText(`http://127.0.0.1:${gw.controlPort}/stats`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const services = (JSON.parse(res.text) as { services: ServiceTrafficJSON[] }).services;
    expect(services.map((x) => x.key)).toEqual(['shop/local/other']);
  });
});

describe('table schema', () => {
  it('accepts tracks and splits, lower-casing header names', async () => {
    const port = await freePort();
    await apply([
      {
        key: 'shop/local/s',
        port,
        backends: [
          { id: 'a', host: '127.0.0.1', port: 1, track: 'stable' },
          { id: 'b', host: '127.0.0.1', port: 2, track: 'canary' },
        ],
        split: { canaryWeight: 5, match: { header: 'X-Beta', value: 'on' } },
      },
    ]);
    const served = JSON.parse(
      (await fetchText(`http://127.0.0.1:${gw.controlPort}/table`, { headers: { authorization: `Bearer ${token}` } }))
        .text,
    ) as RoutingTable;
    expect(served.services[0]!.split).toEqual({ canaryWeight: 5, match: { header: 'x-beta', value: 'on' } });
    expect(served.services[0]!.backends.map((b) => b.track)).toEqual(['stable', 'canary']);
  });

  it('rejects bad tracks and splits, listing every problem with its field path', async () => {
    const svc = (i: number, split: unknown, track?: unknown): Record<string, unknown> => ({
      key: `a/b/s${i}`,
      port: 20_000 + i,
      backends: [{ id: 'x', host: '127.0.0.1', port: 1, track }],
      split,
    });
    const res = await fetchText(`http://127.0.0.1:${gw.controlPort}/table`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({
        generation: t.generation() + 1,
        services: [
          svc(0, { canaryWeight: 101 }),
          svc(1, { canaryWeight: 2.5 }),
          svc(2, { canaryWeight: 10, match: { header: 'x-a', cookie: 'b', value: 'v' } }),
          svc(3, { canaryWeight: 10, match: { value: 'v' } }),
          svc(4, { canaryWeight: 10, match: { header: 'bad name', value: '' } }),
          svc(5, { match: { cookie: 'ab', value: 'b' } }),
          svc(6, undefined, 'blue'),
          svc(7, { canaryWeight: 10, match: { cookie: 'ab', value: 'b', regex: true } }),
        ],
        edges: [],
      }),
    });
    expect(res.status).toBe(400);
    const body = JSON.parse(res.text) as { code: string; problems: { path: string; message: string }[] };
    expect(body.code).toBe('VALIDATION');
    expect(body.problems.map((p) => p.path).sort()).toEqual(
      [
        'services.0.split.canaryWeight',
        'services.1.split.canaryWeight',
        'services.2.split.match',
        'services.3.split.match',
        'services.4.split.match.header',
        'services.4.split.match.value',
        'services.5.split.canaryWeight',
        'services.6.backends.0.track',
        'services.7.split.match',
      ].sort(),
    );
    const message = (path: string): string => body.problems.find((p) => p.path === path)!.message;
    expect(message('services.2.split.match')).toBe('give exactly one of header or cookie');
    expect(message('services.4.split.match.header')).toBe('must be a header name');
    expect(message('services.4.split.match.value')).toBe('must not be empty');
  });
});
