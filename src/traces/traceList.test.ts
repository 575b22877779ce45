/** Listing an app's recent traces from a real trace store (SQLite file). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewaySpan } from '../model/trace.js';
import { TraceStore } from './traceStore.js';

const T0 = 1_800_000_000_000;
let dir: string;
let store: TraceStore;

function span(traceId: string, spanId: string, over: Partial<GatewaySpan>): GatewaySpan {
  return {
    traceId: traceId.padStart(32, '0'),
    spanId: spanId.padStart(16, '0'),
    kind: 'service',
    method: 'GET',
    status: 200,
    error: false,
    startMs: T0,
    durationMs: 10,
    ...over,
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-tracelist-'));
  store = new TraceStore({ file: join(dir, 'traces.db') });
  store.add([
    // 1: web → orders, fine, 30 ms.
    span('1', 'a1', {
      kind: 'edge',
      edge: 'shop/prod',
      route: '/',
      service: 'shop/prod/web',
      startMs: T0,
      durationMs: 30,
    }),
    span('1', 'b1', { parentId: 'a1'.padStart(16, '0'), service: 'shop/prod/orders', startMs: T0 + 5, durationMs: 20 }),
    // 2: web → orders → inventory 503, later, 80 ms.
    span('2', 'a2', {
      kind: 'edge',
      edge: 'shop/prod',
      route: '/',
      service: 'shop/prod/web',
      startMs: T0 + 1000,
      durationMs: 80,
      status: 502,
      error: true,
    }),
    span('2', 'b2', { service: 'shop/prod/orders', startMs: T0 + 1010, durationMs: 60, status: 502, error: true }),
    span('2', 'c2', { service: 'shop/prod/inventory', startMs: T0 + 1020, durationMs: 90, status: 503, error: true }),
    // 3: an edge request no route took (no service), latest.
    span('3', 'a3', { kind: 'edge', edge: 'shop/prod', startMs: T0 + 2000, durationMs: 1, status: 404 }),
    // 4: another environment of the app, and 5 another app whose name starts alike.
    span('4', 'a4', { service: 'shop/dev/web', startMs: T0 + 3000 }),
    span('5', 'a5', { service: 'shop/prod2/web', startMs: T0 + 3000 }),
    span('6', 'a6', { service: 'shopx/prod/web', startMs: T0 + 3000 }),
    // 7: too old for the range asked below.
    span('7', 'a7', { service: 'shop/prod/web', startMs: T0 - 60_000 }),
  ]);
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = (l: { traces: { traceId: string }[] }): string[] => l.traces.map((t) => t.traceId.replace(/^0+/, ''));

describe('TraceStore.list', () => {
  const base = { app: 'shop', env: 'prod', sinceMs: T0 - 1000, limit: 50 };

  it('lists the app and environment’s traces newest first, each summed up from its spans', () => {
    const l = store.list(base);
    expect(ids(l)).toEqual(['3', '2', '1']);
    expect(l.truncated).toBe(false);
    expect(l.traces[1]).toEqual({
      traceId: '2'.padStart(32, '0'),
      startMs: T0 + 1000,
      durationMs: 110,
      spans: 3,
      services: ['shop/prod/web', 'shop/prod/orders', 'shop/prod/inventory'],
      error: true,
      root: {
        kind: 'edge',
        edge: 'shop/prod',
        route: '/',
        service: 'shop/prod/web',
        method: 'GET',
        status: 502,
        error: true,
      },
    });
    expect(l.traces[0]).toMatchObject({ services: [], root: { kind: 'edge', edge: 'shop/prod', status: 404 } });
  });

  it('filters by service, failure, duration and time, and says when the limit left some out', () => {
    expect(ids(store.list({ ...base, service: 'inventory' }))).toEqual(['2']);
    expect(ids(store.list({ ...base, service: 'orders' }))).toEqual(['2', '1']);
    expect(ids(store.list({ ...base, errors: true }))).toEqual(['2']);
    expect(ids(store.list({ ...base, minMs: 30 }))).toEqual(['2', '1']);
    expect(ids(store.list({ ...base, sinceMs: T0 + 500 }))).toEqual(['3', '2']);
    expect(ids(store.list({ ...base, sinceMs: T0 - 120_000 }))).toEqual(['3', '2', '1', '7']);
    const one = store.list({ ...base, limit: 1 });
    expect([ids(one), one.truncated]).toEqual([['3'], true]);
    expect(store.list({ ...base, service: 'nope' })).toEqual({ traces: [], truncated: false });
  });
});
