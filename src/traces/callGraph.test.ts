import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewaySpan } from '../model/trace.js';
import { readObservedCalls } from './callGraph.js';
import { TraceStore } from './traceStore.js';

let dir: string;
let store: TraceStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-callgraph-'));
  store = new TraceStore({ file: join(dir, 'traces.db') });
});
afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

const T0 = 1_750_000_000_000;
let ids = 0;
const hex = (n: number, len: number): string => n.toString(16).padStart(len, '0');

/** A span of trace `trace`, called by `parent` (a span made here) or by an id the gateway did not record. */
function span(
  trace: number,
  service: string,
  over: Partial<GatewaySpan> & { parent?: GatewaySpan | string } = {},
): GatewaySpan {
  const { parent, ...rest } = over;
  return {
    traceId: hex(trace, 32),
    spanId: hex(++ids, 16),
    ...(parent === undefined ? {} : { parentId: typeof parent === 'string' ? parent : parent.spanId }),
    kind: 'service',
    service,
    method: 'GET',
    status: 200,
    error: false,
    startMs: T0 + 1000,
    durationMs: 10,
    ...rest,
  };
}

const edge = (trace: number, service: string, over: Partial<GatewaySpan> = {}): GatewaySpan =>
  span(trace, service, { kind: 'edge', edge: 'shop/local', route: '/', ...over });

describe('readObservedCalls', () => {
  it('counts each caller → callee of the window with rate, error rate and nearest-rank p50/p99', () => {
    const spans: GatewaySpan[] = [];
    // 100 purchases: the edge → web → orders → inventory; web's hop takes 1..100 ms; 4 reservations fail.
    for (let i = 1; i <= 100; i++) {
      const web = edge(i, 'shop/local/web', { durationMs: i, parentId: 'f'.repeat(16) });
      const orders = span(i, 'shop/local/orders', { parent: web, durationMs: 200 - i });
      const inventory = span(i, 'shop/local/inventory', {
        parent: orders,
        ...(i % 25 === 0 ? { status: 503, error: true } : {}),
      });
      spans.push(web, orders, inventory);
    }
    store.add(spans);
    const calls = readObservedCalls(store.file, { app: 'shop', env: 'local', sinceMs: T0, untilMs: T0 + 50_000 });
    // orders' hops take 199..100 ms: the 50th of 100 is 149, the 99th 198.
    expect(calls).toEqual([
      { from: '(outside)', to: 'web', count: 100, ratePerSec: 2, errors: 0, errorRate: 0, p50Ms: 50, p99Ms: 99 },
      { from: 'orders', to: 'inventory', count: 100, ratePerSec: 2, errors: 4, errorRate: 0.04, p50Ms: 10, p99Ms: 10 },
      { from: 'web', to: 'orders', count: 100, ratePerSec: 2, errors: 0, errorRate: 0, p50Ms: 149, p99Ms: 198 },
    ]);
  });

  it('names unknown callers, keeps the window, and shows calls from other apps by their full name', () => {
    const web = edge(1, 'shop/local/web', { startMs: T0 - 500 }); // before the window: its child still has a caller
    const orders = span(1, 'shop/local/orders', { parent: web });
    const lost = span(2, 'shop/local/inventory', { parent: '9'.repeat(16) }); // parent not recorded
    const fresh = span(3, 'shop/local/inventory'); // no parent: the caller did not forward traceparent
    const toPayments = span(1, 'pay/local/api', { parent: orders, durationMs: 40, status: 502, error: true });
    const payApi = span(4, 'pay/local/api');
    const fromPay = span(4, 'shop/local/orders', { parent: payApi });
    const otherApp = span(5, 'pay/local/ledger', { parent: '8'.repeat(16) });
    const otherEnv = edge(6, 'shop/prod/web');
    const late = span(7, 'shop/local/orders', { startMs: T0 + 10_000 }); // at the window's end: excluded
    // A replica calling its app's edge with traceparent: the edge hop's caller is that replica's service.
    const edgeFromOrders = span(1, 'shop/local/inventory', { kind: 'edge', edge: 'shop/local', parent: orders });
    store.add([web, orders, lost, fresh, toPayments, payApi, fromPay, otherApp, otherEnv, late, edgeFromOrders]);
    const calls = readObservedCalls(store.file, { app: 'shop', env: 'local', sinceMs: T0, untilMs: T0 + 10_000 });
    expect(calls.map((c) => [c.from, c.to, c.count, c.errors])).toEqual([
      ['(unknown)', 'inventory', 2, 0],
      ['orders', 'inventory', 1, 0],
      ['pay/local/api', 'orders', 1, 0],
      ['web', 'orders', 1, 0],
    ]);
    expect(calls.find((c) => c.from === 'pay/local/api')).toMatchObject({ ratePerSec: 0.1, errorRate: 0 });
    // The call out to pay is pay's: its graph shows it coming from shop/local/orders.
    const pay = readObservedCalls(store.file, { app: 'pay', env: 'local', sinceMs: T0, untilMs: T0 + 10_000 });
    expect(pay.map((c) => [c.from, c.to, c.count, c.errors, c.p99Ms])).toEqual([
      ['(unknown)', 'api', 1, 0, 10],
      ['(unknown)', 'ledger', 1, 0, 10],
      ['shop/local/orders', 'api', 1, 1, 40],
    ]);
  });

  it('answers no edges for a window without spans', () => {
    store.add([edge(1, 'shop/local/web', { startMs: T0 })]);
    expect(readObservedCalls(store.file, { app: 'shop', env: 'local', sinceMs: T0 + 1, untilMs: T0 + 60_000 })).toEqual(
      [],
    );
  });
});
