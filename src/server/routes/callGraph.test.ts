/**
 * The call graph route through fastify's inject(): a real store with a deployed shop (fake runtime),
 * a real traces.db with the spans of some purchases, the graph beside dependsOn; bad windows named.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallGraph } from '../../model/callGraph.js';
import type { GatewaySpan } from '../../model/trace.js';
import type { Release } from '../../release/releases.js';
import { FakeRuntime } from '../../release/engine/testing/fakeRuntime.js';
import type { Runtime } from '../../runtime/runtime.js';
import { TraceStore } from '../../traces/traceStore.js';
import { testApi, type TestApi } from '../testing/apiContext.js';
import { windowMsOf } from './callGraph.js';

const SHOP = `name: shop
services:
  inventory: { command: node inventory.js, ports: [8080] }
  orders: { command: node orders.js, ports: [8080], dependsOn: [inventory] }
  web: { command: node web.js, ports: [8080], dependsOn: [orders, inventory] }
`;

let t: TestApi;
let store: TraceStore;
const url = '/api/v1/apps/shop/envs/local/callgraph';
let n = 0;
const hex = (i: number, len: number): string => i.toString(16).padStart(len, '0');

function span(trace: number, service: string, over: Partial<GatewaySpan> = {}): GatewaySpan {
  return {
    traceId: hex(trace, 32),
    spanId: hex(++n, 16),
    kind: 'service',
    service: `shop/local/${service}`,
    method: 'POST',
    status: 200,
    error: false,
    startMs: Date.now() - 60_000,
    durationMs: 10,
    ...over,
  };
}

beforeAll(async () => {
  const runtime = new FakeRuntime();
  t = await testApi({ runtimeFor: async () => runtime as unknown as Runtime });
  const deploy = await t.request({
    method: 'POST',
    url: '/api/v1/releases',
    body: { env: 'local', spec: { file: '/apps/shop/berth.yaml', text: SHOP } },
  });
  expect(deploy.statusCode, deploy.body).toBe(202);
  for (let i = 0; i < 100; i++) {
    const r = await t.request({ method: 'GET', url: '/api/v1/apps/shop/envs/local/releases/1' });
    if (r.json<Release>().status === 'succeeded') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  store = new TraceStore({ file: join(t.ctx.home, 'traces.db') });
  t.ctx.traces = store;
  // 3 purchases web → orders → inventory (one fails at inventory), one an hour ago, and a call from
  // inventory to orders that berth.yaml does not declare.
  const spans: GatewaySpan[] = [];
  for (let i = 1; i <= 4; i++) {
    const startMs = i === 4 ? Date.now() - 3_600_000 : Date.now() - 60_000;
    const web = span(i, 'web', { kind: 'edge', edge: 'shop/local', route: '/', startMs, durationMs: 30 });
    const orders = span(i, 'orders', { parentId: web.spanId, startMs, durationMs: 20 });
    const failed = i === 2 ? { status: 503, error: true } : {};
    spans.push(web, orders, span(i, 'inventory', { parentId: orders.spanId, startMs, ...failed }));
  }
  const inventory = span(5, 'inventory');
  spans.push(inventory, span(5, 'orders', { parentId: inventory.spanId, method: 'GET' }));
  store.add(spans);
});
afterAll(async () => {
  store?.close();
  await t?.close();
});

describe('GET …/callgraph', () => {
  it('answers the calls of the last 15 minutes beside dependsOn, the differences marked', async () => {
    const res = await t.request({ method: 'GET', url });
    expect(res.statusCode, res.body).toBe(200);
    const g = res.json<CallGraph>();
    expect(g).toMatchObject({ app: 'shop', env: 'local', window: '15m', windowMs: 900_000, revision: 1 });
    expect(Date.parse(g.until) - Date.parse(g.since)).toBe(900_000);
    expect(g.edges.map((e) => [e.from, e.to, e.count, e.errors, e.mark])).toEqual([
      ['(outside)', 'web', 3, 0, undefined],
      ['orders', 'inventory', 3, 1, undefined],
      ['web', 'orders', 3, 0, undefined],
      ['(unknown)', 'inventory', 1, 0, undefined],
      ['inventory', 'orders', 1, 0, 'undeclared'],
    ]);
    expect(g.edges[1]).toMatchObject({ ratePerSec: 0.00333, errorRate: 0.333, p50Ms: 10, p99Ms: 10 });
    expect(g.declared).toEqual([
      { from: 'orders', to: 'inventory', called: true },
      { from: 'web', to: 'orders', called: true },
      { from: 'web', to: 'inventory', called: false },
    ]);
    expect(g.differences).toEqual([
      { from: 'inventory', to: 'orders', mark: 'undeclared' },
      { from: 'web', to: 'inventory', mark: 'unused' },
    ]);
    expect(g.nodes.map((x) => `${x.name}:${x.kind}`)).toEqual([
      'inventory:service',
      'orders:service',
      'web:service',
      '(outside):outside',
      '(unknown):unknown',
    ]);
  });

  it('takes a longer window', async () => {
    const g = (await t.request({ method: 'GET', url: `${url}?window=2h` })).json<CallGraph>();
    expect(g.edges.find((e) => e.from === 'web')?.count).toBe(4);
    expect(g.windowMs).toBe(7_200_000);
  });

  it('refuses a window that is no duration, too short, or longer than the traces are kept, naming window', async () => {
    for (const [w, message] of [
      ['soon', '"soon" is not a duration (30s, 15m, 1h, 2d)'],
      ['15', '"15" is not a duration (30s, 15m, 1h, 2d)'],
      ['5s', '5s is shorter than 10s'],
      ['2d', '2d is longer than the traces are kept (24h): older spans are gone'],
    ]) {
      const res = await t.request({ method: 'GET', url: `${url}?window=${w}` });
      expect(res.statusCode, w).toBe(400);
      expect(res.json<{ problems: unknown[] }>().problems).toEqual([
        { file: 'request query', path: 'window', message },
      ]);
    }
  });

  it('answers 503 when the control plane keeps no traces', async () => {
    t.ctx.traces = undefined;
    try {
      const res = await t.request({ method: 'GET', url });
      expect(res.statusCode).toBe(503);
      expect(res.json<{ message: string }>().message).toBe('this control plane keeps no traces');
    } finally {
      t.ctx.traces = store;
    }
  });

  it('answers 404 for an app that is not there', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/apps/blog/envs/local/callgraph' });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ message: string }>().message).toContain('no app blog in environment local');
  });
});

describe('window parsing', () => {
  it('reads seconds to days and names the CLI flag when asked', () => {
    expect(windowMsOf('30s', 86_400_000)).toBe(30_000);
    expect(windowMsOf('1h30m', 86_400_000)).toBe(5_400_000);
    expect(windowMsOf('7d', 7 * 86_400_000)).toBe(7 * 86_400_000);
    expect(() => windowMsOf('x', 1e9, '--window', 'command line')).toThrow(/invalid call graph window/);
  });
});
