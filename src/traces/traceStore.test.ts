import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewaySpan } from '../model/trace.js';
import { TraceStore, withCallers } from './traceStore.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-traces-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const span = (over: Partial<GatewaySpan>): GatewaySpan => ({
  traceId: 'a'.repeat(32),
  spanId: '1'.repeat(16),
  kind: 'service',
  method: 'GET',
  status: 200,
  error: false,
  startMs: Date.now(),
  durationMs: 1,
  ...over,
});

describe('TraceStore', () => {
  it('adds the path column to a traces.db made before spans had a path, keeping its spans', () => {
    const file = join(dir, 'old.db');
    const old = new Sqlite(file);
    old.exec(`CREATE TABLE spans (trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_id TEXT, kind TEXT NOT NULL,
      edge TEXT, route TEXT, service TEXT, track TEXT, method TEXT NOT NULL, status INTEGER NOT NULL,
      error INTEGER NOT NULL, start_ms REAL NOT NULL, duration_ms REAL NOT NULL)`);
    old
      .prepare(
        `INSERT INTO spans VALUES ('${'a'.repeat(32)}', '${'1'.repeat(16)}', NULL, 'service', NULL, NULL, 's/e/x', NULL, 'GET', 200, 0, 1, 1)`,
      )
      .run();
    old.close();
    const store = new TraceStore({ file });
    try {
      store.add([span({ spanId: '2'.repeat(16), startMs: 2, path: '/orders/7' })]);
      expect(store.trace('a'.repeat(32)).map((s) => [s.spanId[0], s.path])).toEqual([
        ['1', undefined],
        ['2', '/orders/7'],
      ]);
    } finally {
      store.close();
    }
  });

  it('stores spans in a SQLite file and reads a trace back by start, callers derived, across a reopen', async () => {
    const file = join(dir, 'traces.db');
    const t0 = Date.now();
    const edge = span({
      spanId: 'e'.repeat(16),
      kind: 'edge',
      edge: 'shop/local',
      route: '/',
      service: 'shop/local/web',
      track: 'stable',
      startMs: t0,
      durationMs: 30,
    });
    const orders = span({
      spanId: 'f'.repeat(16),
      parentId: edge.spanId,
      service: 'shop/local/orders',
      startMs: t0 + 5,
      durationMs: 20,
    });
    const inventory = span({
      spanId: 'c'.repeat(16),
      parentId: orders.spanId,
      service: 'shop/local/inventory',
      status: 503,
      error: true,
      startMs: t0 + 8,
      durationMs: 2,
    });
    const foreign = span({
      spanId: 'd'.repeat(16),
      parentId: '9'.repeat(16),
      service: 'shop/local/mail',
      startMs: t0 + 9,
    });
    const other = span({ traceId: 'b'.repeat(32) });
    let store = new TraceStore({ file });
    store.add([inventory, other, edge, foreign, orders]);
    store.close();
    expect((await stat(file)).size).toBeGreaterThan(0);

    store = new TraceStore({ file });
    try {
      const got = store.trace('a'.repeat(32));
      expect(got.map((s) => s.service)).toEqual([
        'shop/local/web',
        'shop/local/orders',
        'shop/local/inventory',
        'shop/local/mail',
      ]);
      expect(got.map((s) => s.caller)).toEqual([undefined, 'shop/local/web', 'shop/local/orders', undefined]);
      expect(got[0]).toEqual({ ...edge });
      expect(got[2]).toMatchObject({ status: 503, error: true, parentId: orders.spanId });
      expect(store.trace('0'.repeat(32))).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('prunes by age and keeps at most maxSpans, the oldest going first', () => {
    const store = new TraceStore({ file: join(dir, 't.db'), retentionMs: 60_000, maxSpans: 3 });
    try {
      const now = Date.now();
      store.add([
        span({ traceId: '1'.repeat(32), startMs: now - 120_000 }),
        ...[4, 3, 2, 1].map((ago) =>
          span({ traceId: String(ago).repeat(32).replace(/^1+$/, 'f'.repeat(32)), startMs: now - ago * 1000 }),
        ),
      ]);
      expect(store.prune(now)).toBe(2);
      expect(store.trace('1'.repeat(32))).toEqual([]); // too old
      expect(store.trace('4'.repeat(32))).toEqual([]); // over the count, oldest
      expect(store.trace('3'.repeat(32))).toHaveLength(1);
      expect(store.trace('f'.repeat(32))).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it('withCallers names no caller for a parent outside the trace', () => {
    expect(withCallers([span({ parentId: '2'.repeat(16) })])[0]!.caller).toBeUndefined();
  });
});
