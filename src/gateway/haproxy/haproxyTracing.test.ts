/**
 * Tracing on the HAProxy data plane, with the real HAProxy: requests it serves alone (a native edge,
 * a native service address) continue or start the W3C trace in HAProxy's own rules, reach the
 * replica with traceparent and X-Berth-Trace-Id, and come back as spans in the gateway's queue
 * through HAProxy's log lines; a replica that forwards traceparent makes one trace of both hops.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewaySpan } from '../../model/trace.js';
import { SpanQueue } from '../spans.js';
import type { RoutingTable } from '../table.js';
import type { Echo, Upstream } from '../testing.js';
import { fetchText, freePort, startUpstream, tempHome } from '../testing.js';
import { HaproxyListeners } from './haproxyListeners.js';
import { parseLine, frontendsOf } from './haproxySpans.js';
import { proxyName, renderConfig } from './config.js';

let home: { dir: string; remove(): Promise<void> };
let hx: HaproxyListeners;
let inventory: Upstream;
let relay: Server;
const queue = new SpanQueue();
let edgePort: number;
let inventoryPort: number;
let table: RoutingTable;

beforeAll(async () => {
  home = await tempHome();
  hx = new HaproxyListeners({
    dir: join(home.dir, 'haproxy'),
    removalWaitMs: 1_000,
    drainTimeoutMs: 1_000,
    spans: queue,
  });
  inventory = await startUpstream('hx-trace-inventory');
  [edgePort, inventoryPort] = [await freePort(), await freePort()];
  // The orders replica calls inventory's address, forwarding traceparent, and answers inventory's echo.
  relay = createServer((req, res) => {
    const tp = req.headers.traceparent;
    request(`http://127.0.0.1:${inventoryPort}/stock`, { headers: typeof tp === 'string' ? { traceparent: tp } : {} })
      .then((r) => r.body.text())
      .then(
        (text) => res.end(JSON.stringify({ orders: req.headers, inventory: JSON.parse(text) as Echo })),
        (err: Error) => res.end(err.message),
      );
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  table = {
    generation: 1,
    services: [
      {
        key: 'shop/local/orders',
        port: await freePort(),
        backends: [{ id: 'o', host: '127.0.0.1', port: (relay.address() as AddressInfo).port }],
      },
      {
        key: 'shop/local/inventory',
        port: inventoryPort,
        backends: [{ id: 'i', host: '127.0.0.1', port: inventory.port }],
      },
    ],
    edges: [
      {
        key: 'shop/local',
        port: edgePort,
        routes: [{ pathPrefix: '/orders', target: 'shop/local/orders', stripPrefix: false }],
      },
    ],
  };
  expect(await hx.apply(table)).toEqual([]);
});

afterAll(async () => {
  await hx?.close();
  relay?.closeAllConnections();
  relay?.close();
  await inventory?.close();
  await home?.remove();
});

/** Waits until the queue holds `n` spans of `traceId` (others are kept for later). */
const seen: GatewaySpan[] = [];
async function spansOf(traceId: string, n: number): Promise<GatewaySpan[]> {
  for (let i = 0; i < 100; i++) {
    seen.push(...queue.drain(1000).spans);
    const mine = seen.filter((s) => s.traceId === traceId);
    if (mine.length >= n) return mine.sort((a, b) => a.startMs - b.startMs);
    await new Promise((r) => setTimeout(r, 20));
  }
  return seen.filter((s) => s.traceId === traceId);
}

describe('HAProxy data plane: tracing what HAProxy serves alone', () => {
  it('continues a trace through a native edge and service address, and logs one span per hop', async () => {
    const cfg = readFileSync(join(home.dir, 'haproxy', 'haproxy.cfg'), 'utf8');
    // Both served by HAProxy itself: no Node listener behind them.
    expect(cfg).not.toMatch(/server node 127\.0\.0\.1:\d+\n/);
    expect(cfg.match(/log-format "berth-span/g)).toHaveLength(3);

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetchText(`http://127.0.0.1:${edgePort}/orders/1`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: 'k=v', 'x-berth-trace-id': 'forged' },
    });
    expect(res.status).toBe(200);
    const seenBy = JSON.parse(res.text) as { orders: Echo['headers']; inventory: Echo };
    const [edge, service] = await spansOf(traceId, 2);
    expect(edge).toMatchObject({
      traceId,
      parentId: '00f067aa0ba902b7',
      kind: 'edge',
      edge: 'shop/local',
      route: '/orders',
      service: 'shop/local/orders',
      track: 'stable',
      method: 'GET',
      path: '/orders/1',
      status: 200,
      error: false,
    });
    expect(service).toMatchObject({
      traceId,
      parentId: edge!.spanId,
      kind: 'service',
      service: 'shop/local/inventory',
      track: 'stable',
      path: '/stock',
      status: 200,
    });
    expect(service).not.toHaveProperty('edge');
    // What the replicas got: this hop's span id as the parent, the trace id to log, tracestate kept.
    expect(seenBy.orders.traceparent).toBe(`00-${traceId}-${edge!.spanId}-01`);
    expect(seenBy.orders['x-berth-trace-id']).toBe(traceId);
    expect(seenBy.orders.tracestate).toBe('k=v');
    expect(seenBy.inventory.headers.traceparent).toBe(`00-${traceId}-${service!.spanId}-01`);
    // On the time axis, in microseconds of HAProxy's clock: the inner hop lies within the outer one.
    expect(Math.abs(edge!.startMs - Date.now())).toBeLessThan(10_000);
    expect(service!.startMs).toBeGreaterThan(edge!.startMs);
    expect(service!.startMs + service!.durationMs).toBeLessThan(edge!.startMs + edge!.durationMs);
    expect(service!.durationMs).toBeGreaterThan(0);
    // Not whole milliseconds (%Ta's): a call quicker than 1 ms read 0 ms, and the call graph's p50 0.
    const micros = [edge!, service!].flatMap((x) => [x.startMs, x.durationMs]).map((ms) => Math.round(ms * 1000));
    expect(micros.some((us) => us % 1000 !== 0)).toBe(true);
  });

  it('starts a trace for no or an invalid traceparent, dropping tracestate, and records an edge’s 404', async () => {
    const res = await fetchText(`http://127.0.0.1:${inventoryPort}/x`, {
      headers: { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, tracestate: 'k=v' },
    });
    const echo = JSON.parse(res.text) as Echo;
    const tp = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(echo.headers.traceparent));
    expect(tp).not.toBeNull();
    expect(echo.headers['x-berth-trace-id']).toBe(tp![1]);
    expect(echo.headers.tracestate).toBeUndefined();
    const [started] = await spansOf(tp![1]!, 1);
    expect(started).toMatchObject({ spanId: tp![2], kind: 'service', service: 'shop/local/inventory' });
    expect(started).not.toHaveProperty('parentId');

    const missing = await fetchText(`http://127.0.0.1:${edgePort}/nowhere`, {
      headers: { traceparent: '00-5bf92f3577b34da6a3ce929d0e0e4737-00f067aa0ba902b7-01' },
    });
    expect(missing.status).toBe(404);
    const [noRoute] = await spansOf('5bf92f3577b34da6a3ce929d0e0e4737', 1);
    expect(noRoute).toMatchObject({ kind: 'edge', edge: 'shop/local', status: 404, error: false });
    expect(noRoute).not.toHaveProperty('service');
  });

  it('puts the rules only where HAProxy serves alone: Node traces what it is handed', () => {
    const cfg = renderConfig({
      dir: '/x',
      services: [
        { key: 'a/b/native', port: 1001 },
        { key: 'a/b/split', port: 1002 },
      ],
      edges: [
        { key: 'a/b', port: 1003, routes: [{ pathPrefix: '/', target: 'a/b/native', stripPrefix: false }] },
        { key: 'a/c', port: 1004, nodePort: 2004 },
      ],
      backends: [
        { key: 'a/b/native', stable: [], canary: [] },
        { key: 'a/b/split', stable: [], canary: [], nodePort: 2002 },
      ],
      traceLogPort: 5140,
    });
    const traced = cfg
      .split('\nfrontend ')
      .slice(1)
      .filter((f) => f.includes('log ring@berth-log len 2048 format raw local0'))
      .map((f) => f.split('\n')[0]);
    // One ring forwards every frontend's lines to the gateway's port.
    expect(cfg).toContain('\nring berth-log\n');
    expect(cfg).toContain('  server gateway 127.0.0.1:5140\n');
    // Every edge has them (it may be switched to HAProxy's routing at runtime); while Node routes it, none applies.
    expect(traced).toEqual([proxyName('f', 'a/b/native'), proxyName('f', 'edge/a/b'), proxyName('f', 'edge/a/c')]);
    const nodeEdge = cfg.split('\nfrontend ').find((f) => f.startsWith(proxyName('f', 'edge/a/c')))!;
    const rules = nodeEdge
      .split('\n')
      .filter((l) => /traceparent|txn\.(tid|sid|pid|flags)|tracestate|x-berth-trace-id/.test(l));
    expect(rules.length).toBeGreaterThan(5);
    for (const r of rules.filter((l) => l.includes('http-request'))) expect(r).toMatch(/ if !to_node | unless to_node/);
    // What Node serves sends no log line (it was `if !to_node to_node`: never), nor takes a start time.
    expect(nodeEdge).toContain('\n  http-request set-log-level silent if to_node\n');
    expect(nodeEdge).toContain('\n  http-request set-var(txn.t0) date(0,us) unless to_node\n');
  });

  it('reads only span lines of known frontends', () => {
    const fronts = frontendsOf({ dir: '', services: [{ key: 'a/b/c', port: 1 }], edges: [], backends: [] });
    const times = '1800000000.250 0 1800000000250375 1800000000250912';
    const line = `berth-span ${'a'.repeat(32)} ${'b'.repeat(16)} - 503 ${times} POST f.a:2fb:2fc - <NOSRV> /pay`;
    const span = {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      kind: 'service',
      service: 'a/b/c',
      method: 'POST',
      path: '/pay',
      status: 503,
      error: true,
    };
    expect(parseLine(line, fronts).span).toEqual({ ...span, startMs: 1_800_000_000_250.375, durationMs: 0.537 });
    // No start (a rule answered before the trace rules), or a line of a HAProxy configured before
    // the microsecond times: the accept time and %Ta, whole milliseconds.
    const ms = { ...span, startMs: 1_800_000_000_250, durationMs: 12 };
    expect(parseLine(line.replace(times, '1800000000.250 12 - 1800000000262000'), fronts).span).toEqual(ms);
    expect(parseLine(line.replace(times, '1800000000.250 12'), fronts).span).toEqual(ms);
    expect(parseLine(line.replace('f.a:2fb:2fc', 'f.other'), fronts).span).toBeUndefined();
    expect(parseLine(line.replace('a'.repeat(32), '-'), fronts).span).toBeUndefined();
    expect(parseLine('some other line', fronts).span).toBeUndefined();
  });

  it('leaves the trace rules out when tracing is off, and counts latency and edge routes from the log lines', async () => {
    const off = new HaproxyListeners({ dir: join(home.dir, 'off'), removalWaitMs: 1_000, drainTimeoutMs: 1_000 });
    try {
      const [port, edge] = [await freePort(), await freePort()];
      const inv = table.services[1]!;
      const routes = [{ pathPrefix: '/inv', target: inv.key, stripPrefix: true }];
      const offTable = { ...table, services: [{ ...inv, port }], edges: [{ key: 'shop/off', port: edge, routes }] };
      expect(await off.apply(offTable)).toEqual([]);
      const cfg = readFileSync(join(home.dir, 'off', 'haproxy.cfg'), 'utf8');
      expect(cfg).toContain('log-format "berth-span ');
      expect(cfg).not.toContain('traceparent');
      const echo = JSON.parse(
        (await fetchText(`http://127.0.0.1:${port}/`, { headers: { traceparent: 'kept' } })).text,
      ) as Echo;
      expect(echo.headers.traceparent).toBe('kept');
      expect(echo.headers['x-berth-trace-id']).toBeUndefined();
      for (let i = 0; i < 3; i++) expect((await fetchText(`http://127.0.0.1:${edge}/inv/x`)).status).toBe(200);
      // One request at the address, three through the edge's route: the histogram has all four.
      await expect
        .poll(() => {
          const t = off.traffic().find((s) => s.key === inv.key);
          const stable = t?.tracks.find((k) => k.track === 'stable');
          return {
            latency: stable?.latencyCounts.reduce((a, b) => a + b, 0),
            buckets: stable?.latencyBucketsMs.length,
            routes: t?.routes?.map((r) => [r.edge, r.route, r.tracks[0]!.requests, r.tracks[0]!.errors]),
          };
        })
        .toEqual({ latency: 4, buckets: 13, routes: [['shop/off', '/inv', 3, 0]] });
      // A table without the route drops its counters, as the Node listeners' do.
      expect(await off.apply({ ...offTable, edges: [] })).toEqual([]);
      expect(off.traffic().find((s) => s.key === inv.key)?.routes).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});
