import { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TrackTraffic } from '../model/observation.js';
import type { ServiceTraffic } from './table.js';
import type { RouteTraffic } from './routeCounters.js';
import type { Backend, EdgeListener, ServiceListener } from './table.js';
import type { Upstream } from './testing.js';
import type { TestGateway } from './testing.js';
import { freePort, refusingPort, startTestGateway } from './testing.js';

let t: TestGateway;
const upstream = (name: string, delayMs = 0, status = 200): Promise<Upstream> => t.upstream(name, delayMs, status);

const stable = (u: Upstream): Backend => ({ id: u.name, host: '127.0.0.1', port: u.port });
const canary = (u: Upstream): Backend => ({ id: u.name, host: '127.0.0.1', port: u.port, track: 'canary' });
const apply = (services: ServiceListener[], edges: EdgeListener[] = []): Promise<void> => t.apply({ services, edges });
const services = (): Promise<ServiceTraffic[]> => t.services();

async function service(key: string): Promise<ServiceTraffic> {
  const s = (await services()).find((x) => x.key === key);
  expect(s, `no traffic of ${key}`).toBeDefined();
  return s!;
}

const trackOf = (tracks: TrackTraffic[], track: string): TrackTraffic => tracks.find((t) => t.track === track)!;

/** Per route label: [stable, canary] counters. */
function byRoute(s: ServiceTraffic): Record<string, { stable: TrackTraffic; canary: TrackTraffic; edge: string }> {
  return Object.fromEntries(
    (s.routes ?? []).map((r: RouteTraffic) => [
      r.route,
      { stable: trackOf(r.tracks, 'stable'), canary: trackOf(r.tracks, 'canary'), edge: r.edge },
    ]),
  );
}

/** Sends `n` GETs (or POSTs) over 4 keep-alive connections and counts the answers per status. */
async function send(
  port: number,
  n: number,
  init: { path?: string; headers?: Record<string, string>; method?: 'GET' | 'POST' } = {},
): Promise<Record<number, number>> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 4 });
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
      byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: 4 }, worker));
  } finally {
    await pool.close();
  }
  return byStatus;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const toCanary = { 'x-canary': 'yes' };

beforeAll(async () => {
  t = await startTestGateway({ drainTimeoutMs: 2_000 });
});

afterAll(async () => {
  await t?.close();
});

afterEach(async () => {
  await apply([]);
});

describe('per-route counters', () => {
  it('counts each edge route per track, apart from the service address, and keeps them across updates', async () => {
    // The canary answers 500 after 30 ms: its requests are errors, none in a bucket up to 25 ms.
    const [s, s2, c, w] = await Promise.all([
      upstream('r-stable'),
      upstream('r-stable-2'),
      upstream('r-canary', 30, 500),
      upstream('r-web'),
    ]);
    const [port, webPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    const key = 'shop/local/api';
    // A header split makes every request's track certain, so the counts can be exact.
    const split = { canaryWeight: 0, match: { header: 'x-canary', value: 'yes' } };
    const svc = (backends: Backend[]): ServiceListener[] => [
      { key, port, backends, split },
      { key: 'shop/local/web', port: webPort, backends: [stable(w)] },
    ];
    const edge = (routes: EdgeListener['routes']): EdgeListener[] => [{ key: 'shop/local', port: edgePort, routes }];
    const apiRoute = { pathPrefix: '/api', target: key, stripPrefix: true };
    const hostRoute = { host: 'Admin.Example', pathPrefix: '/', target: key, stripPrefix: false };
    // Under a policy the request takes the policy's exchange; it must count the same way.
    const policyRoute = { pathPrefix: '/slow', target: key, stripPrefix: true, policy: { timeoutMs: 5_000 } };
    const webRoute = { pathPrefix: '/', target: 'shop/local/web', stripPrefix: false };
    await apply(svc([stable(s), canary(c)]), edge([apiRoute, hostRoute, policyRoute, webRoute]));

    expect(await send(edgePort, 30, { path: '/api/items' })).toEqual({ 200: 30 });
    expect(await send(edgePort, 10, { path: '/api/items', headers: toCanary })).toEqual({ 500: 10 });
    expect(await send(edgePort, 20, { path: '/x', headers: { host: 'admin.example:8080' } })).toEqual({ 200: 20 });
    expect(await send(edgePort, 5, { path: '/x', headers: { host: 'admin.example', ...toCanary } })).toEqual({
      500: 5,
    });
    expect(await send(edgePort, 8, { path: '/slow' })).toEqual({ 200: 8 });
    expect(await send(edgePort, 2, { path: '/slow', headers: toCanary })).toEqual({ 500: 2 });
    expect(await send(edgePort, 6, { path: '/home' })).toEqual({ 200: 6 });
    // Through the service's own address: in the service's tracks, in no route.
    expect(await send(port, 7)).toEqual({ 200: 7 });
    expect(await send(port, 3, { headers: toCanary })).toEqual({ 500: 3 });

    const api = await service(key);
    const routes = byRoute(api);
    expect(api.routes!.map((r) => r.route)).toEqual(['/api', '/slow', 'admin.example/']);
    expect(Object.values(routes).map((r) => r.edge)).toEqual(['shop/local', 'shop/local', 'shop/local']);
    expect(routes['/api']!.stable).toMatchObject({ requests: 30, errors: 0 });
    expect(routes['/api']!.canary).toMatchObject({ requests: 10, errors: 10 });
    expect(routes['admin.example/']!.stable).toMatchObject({ requests: 20, errors: 0 });
    expect(routes['admin.example/']!.canary).toMatchObject({ requests: 5, errors: 5 });
    expect(routes['/slow']!.stable).toMatchObject({ requests: 8, errors: 0 });
    expect(routes['/slow']!.canary).toMatchObject({ requests: 2, errors: 2 });
    for (const r of Object.values(routes)) {
      for (const t of [r.stable, r.canary]) {
        expect(t.latencyBucketsMs).toEqual([1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]);
        expect(sum(t.latencyCounts)).toBe(t.requests);
      }
      expect(sum(r.canary.latencyCounts.slice(0, 5))).toBe(0);
      expect(r.canary.latencySumMs).toBeGreaterThanOrEqual(30 * r.canary.requests);
    }
    // The service's tracks hold every route and the service address: 7 stable and 3 canary more.
    expect(trackOf(api.tracks, 'stable')).toMatchObject({ requests: 30 + 20 + 8 + 7, errors: 0 });
    expect(trackOf(api.tracks, 'canary')).toMatchObject({ requests: 10 + 5 + 2 + 3, errors: 20 });
    // The other service's route is reported with that service only.
    const web = await service('shop/local/web');
    expect(web.routes!.map((r) => [r.edge, r.route])).toEqual([['shop/local', '/']]);
    expect(byRoute(web)['/']!.stable.requests).toBe(6);

    // New backends, the host route written in another case, the policy route gone, a new route.
    const v2Route = { pathPrefix: '/v2', target: key, stripPrefix: true };
    await apply(
      svc([stable(s), stable(s2), canary(c)]),
      edge([v2Route, { ...hostRoute, host: 'admin.example' }, apiRoute, webRoute]),
    );
    expect(await send(edgePort, 4, { path: '/api' })).toEqual({ 200: 4 });
    expect(await send(edgePort, 3, { path: '/', headers: { host: 'ADMIN.example' } })).toEqual({ 200: 3 });
    expect(await send(port, 5)).toEqual({ 200: 5 });
    const after = byRoute(await service(key));
    expect(Object.keys(after).sort()).toEqual(['/api', '/v2', 'admin.example/']);
    expect(after['/api']!.stable).toMatchObject({ requests: 34, errors: 0 });
    expect(after['/api']!.canary).toMatchObject({ requests: 10, errors: 10 });
    expect(after['admin.example/']!.stable.requests).toBe(23);
    expect(after['/v2']!.stable.requests + after['/v2']!.canary.requests).toBe(0);
    expect(s.hits + s2.hits).toBe(65 + 4 + 3 + 5);

    // A route that comes back starts afresh; a service that goes takes its routes with it.
    await apply(svc([stable(s), canary(c)]), edge([apiRoute, policyRoute, webRoute]));
    const again = byRoute(await service(key));
    expect(Object.keys(again).sort()).toEqual(['/api', '/slow']);
    expect(again['/slow']!.stable.requests + again['/slow']!.canary.requests).toBe(0);
    expect(again['/api']!.stable.requests).toBe(34);
    await apply([{ key: 'shop/local/web', port: webPort, backends: [stable(w)] }], edge([apiRoute, webRoute]));
    expect((await services()).map((x) => x.key)).toEqual(['shop/local/web']);
  });

  it('counts a request in the track that finally served it and gateway errors of the route', async () => {
    const s = await upstream('m-stable');
    const refusing = await refusingPort();
    const [port, edgePort] = [await freePort(), await freePort()];
    const key = 'shop/local/m';
    // The canary's only backend refuses connections: GETs retry on stable, POSTs get the gateway's 502.
    await apply(
      [
        {
          key,
          port,
          backends: [stable(s), { id: 'dead', host: '127.0.0.1', port: refusing, track: 'canary' }],
          split: { canaryWeight: 100 },
        },
      ],
      [{ key: 'shop/local', port: edgePort, routes: [{ pathPrefix: '/', target: key, stripPrefix: false }] }],
    );
    expect(await send(edgePort, 12)).toEqual({ 200: 12 });
    expect(await send(edgePort, 4, { method: 'POST' })).toEqual({ 502: 4 });
    const r = byRoute(await service(key))['/']!;
    expect(r.stable).toMatchObject({ requests: 12, errors: 0 });
    expect(r.canary).toMatchObject({ requests: 4, errors: 4 });
    expect(sum(r.stable.latencyCounts) + sum(r.canary.latencyCounts)).toBe(16);
  });

  it('reports no routes for a service no route targets', async () => {
    const s = await upstream('n-stable');
    const port = await freePort();
    await apply([{ key: 'shop/local/n', port, backends: [stable(s)] }]);
    expect(await send(port, 3)).toEqual({ 200: 3 });
    const n = await service('shop/local/n');
    expect(n.routes).toBeUndefined();
    expect(trackOf(n.tracks, 'stable').requests).toBe(3);
  });
});
