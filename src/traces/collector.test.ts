/**
 * The collector against a real gateway: spans of real requests leave the gateway through its control
 * API (`GET /spans`, read by the local gateway control as the daemon reads it) into the SQLite store.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayControl } from '../gateway/control.js';
import type { TestGateway } from '../gateway/testing.js';
import { fetchText, freePort, startTestGateway } from '../gateway/testing.js';
import { startTracedShop, type TracedShop } from '../../test/support/tracedShop.js';
import { startTraceCollector } from './collector.js';
import { TraceStore } from './traceStore.js';

let t: TestGateway;
let edgePort: number;
let shop: TracedShop;

beforeAll(async () => {
  shop = await startTracedShop('local', 'collect-inventory');
  ({ t, edgePort } = shop);
});

afterAll(async () => {
  await shop?.close();
});

describe('trace collector', () => {
  it('moves the gateway spans of a request into the store as one trace with callers', async () => {
    const store = new TraceStore({ file: join(t.home, 'traces.db') });
    const control = createGatewayControl({ home: t.home });
    const collector = startTraceCollector({ store, source: (max) => control.spans(max), intervalMs: 60_000, batch: 1 });
    try {
      const res = await fetchText(`http://127.0.0.1:${edgePort}/orders/1`, {
        headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      });
      expect(res.status).toBe(200);
      let spans = store.trace('0af7651916cd43dd8448eb211c80319c');
      for (let i = 0; i < 50 && spans.length < 2; i++) {
        await collector.collect();
        spans = store.trace('0af7651916cd43dd8448eb211c80319c');
        if (spans.length < 2) await new Promise((r) => setTimeout(r, 10));
      }
      expect(spans.map((s) => [s.kind, s.service, s.caller, s.status])).toEqual([
        ['edge', 'shop/local/orders', undefined, 200],
        ['service', 'shop/local/inventory', 'shop/local/orders', 200],
      ]);
      expect(spans[0]!.parentId).toBe('b7ad6b7169203331');
      expect(spans[1]!.parentId).toBe(spans[0]!.spanId);
      // Drained: the gateway queue is empty now (batches of one were taken until it was).
      expect(await control.spans(10)).toMatchObject({ spans: [], queued: 0, dropped: 0 });
    } finally {
      await collector.stop();
      store.close();
    }
  });

  it('counts what the gateway dropped when its queue was full, and what it stored', async () => {
    const small = await startTestGateway({ spanQueueCapacity: 2 });
    const store = new TraceStore({ file: join(small.home, 'traces.db') });
    const control = createGatewayControl({ home: small.home });
    const collector = startTraceCollector({ store, source: (max) => control.spans(max), intervalMs: 60_000 });
    try {
      const up = await small.upstream('collect-small');
      const port = await freePort();
      await small.apply({
        services: [{ key: 'q/local/s', port, backends: [{ id: 'q', host: '127.0.0.1', port: up.port }] }],
        edges: [],
      });
      const burst = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++) expect((await fetchText(`http://127.0.0.1:${port}/`)).status).toBe(200);
        // The span ends just after the answer: let the last one reach the queue.
        await new Promise((r) => setTimeout(r, 20));
      };
      await burst(5);
      expect(await collector.collect()).toBe(2);
      expect(collector.stats()).toEqual({ stored: 2, dropped: 3, queued: 0 });
      await burst(3);
      await collector.collect();
      expect(collector.stats()).toEqual({ stored: 4, dropped: 4, queued: 0 });
    } finally {
      await collector.stop();
      store.close();
      await small.close();
    }
  });

  it('logs a failing source once, not on every tick, and again once it changes', async () => {
    const store = new TraceStore({ file: join(t.home, 'failing.db') });
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    let answer: Error | undefined = new Error('no such endpoint: GET /spans');
    const collector = startTraceCollector({
      store,
      logger,
      intervalMs: 60_000,
      source: async () => {
        if (answer) throw answer;
        return { spans: [], dropped: 0, queued: 0 };
      },
    });
    try {
      for (let i = 0; i < 3; i++) expect(await collector.collect()).toBe(0);
      expect(warnings).toHaveLength(1);
      answer = undefined;
      await collector.collect();
      answer = new Error('no such endpoint: GET /spans');
      await collector.collect();
      expect(warnings).toHaveLength(2);
    } finally {
      await collector.stop();
      store.close();
    }
  });

  it('asks the gateway less often while it has no spans, and fresh() stores a span ended meanwhile', async () => {
    const store = new TraceStore({ file: join(t.home, 'quiet.db') });
    const control = createGatewayControl({ home: t.home });
    await control.spans(20_000); // whatever earlier tests left
    const asked: number[] = [];
    const collector = startTraceCollector({
      store,
      source: (max) => (asked.push(performance.now()), control.spans(max)),
      intervalMs: 5,
      idleIntervalMs: 600_000,
    });
    try {
      for (const end = Date.now() + 20_000; asked.length < 7; await new Promise((r) => setTimeout(r, 10)))
        if (Date.now() > end) throw new Error(`the collector asked ${asked.length} times in 20 s`);
      // Each empty drain doubles the wait: 5, 10, 20, 40, 80, 160 ms (a timer never fires early).
      expect(asked[6]! - asked[5]!).toBeGreaterThanOrEqual(5 * 2 ** 5 - 2);
      const res = await fetchText(`http://127.0.0.1:${edgePort}/orders/1`, {
        headers: { traceparent: '00-1bf7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      });
      expect(res.status).toBe(200);
      // The gateway records a span once the response has ended; a reader asks for a fresh store.
      let spans = store.trace('1bf7651916cd43dd8448eb211c80319c');
      for (const end = Date.now() + 10_000; spans.length < 2 && Date.now() < end;) {
        await collector.fresh();
        spans = store.trace('1bf7651916cd43dd8448eb211c80319c');
      }
      expect(spans.map((s) => s.service)).toEqual(['shop/local/orders', 'shop/local/inventory']);
    } finally {
      await collector.stop();
      store.close();
    }
  });

  it('holds its read while the gateway has no spans: the first span comes in the held answer, and fresh() releases it', async () => {
    const store = new TraceStore({ file: join(t.home, 'held.db') });
    const control = createGatewayControl({ home: t.home });
    await control.spans(20_000); // whatever earlier tests left
    const reads: { held: boolean; spans?: number }[] = [];
    const collector = startTraceCollector({
      store,
      source: async (max, read) => {
        const r: { held: boolean; spans?: number } = { held: read?.wait !== undefined };
        reads.push(r);
        const got = await control.spans(max, read);
        r.spans = got?.spans.length;
        return got;
      },
      intervalMs: 5,
      idleIntervalMs: 5,
      holdMs: 60_000,
    });
    try {
      // An empty drain, then a held read: nothing more while the gateway has no span.
      for (const end = Date.now() + 10_000; reads.length < 2; await new Promise((r) => setTimeout(r, 5)))
        if (Date.now() > end) throw new Error(`the collector read ${reads.length} times in 10 s`);
      const res = await fetchText(`http://127.0.0.1:${edgePort}/orders/1`, {
        headers: { traceparent: '00-2bf7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      });
      expect(res.status).toBe(200);
      let spans = store.trace('2bf7651916cd43dd8448eb211c80319c');
      for (const end = Date.now() + 10_000; spans.length < 2 && Date.now() < end;) {
        await new Promise((r) => setTimeout(r, 10));
        spans = store.trace('2bf7651916cd43dd8448eb211c80319c');
      }
      expect(spans.map((s) => s.service)).toEqual(['shop/local/orders', 'shop/local/inventory']);
      // A gateway that did not hold would have answered the held read at once, and a read every 5 ms followed.
      const first = reads.findIndex((r) => (r.spans ?? 0) > 0);
      expect(reads.slice(0, first + 1).map((r) => [r.held, r.spans! > 0])).toEqual([
        [false, false],
        [true, true],
      ]);

      // Quiet again: a held read waits, and fresh() releases it instead of waiting out its 60 s.
      for (const end = Date.now() + 10_000; !reads.at(-1)!.held || reads.at(-1)!.spans !== undefined;) {
        if (Date.now() > end) throw new Error('the collector did not hold a read again');
        await new Promise((r) => setTimeout(r, 5));
      }
      await collector.fresh();
      expect(reads.filter((r) => r.held && r.spans === 0)).not.toEqual([]);
    } finally {
      await collector.stop();
      store.close();
    }
  });

  it('waits quietly while no gateway runs', async () => {
    const store = new TraceStore({ file: join(t.home, 'empty.db') });
    const control = createGatewayControl({ home: join(t.home, 'nowhere') });
    const collector = startTraceCollector({ store, source: (max) => control.spans(max), intervalMs: 60_000 });
    try {
      expect(await collector.collect()).toBe(0);
    } finally {
      await collector.stop();
      store.close();
    }
  });
});
