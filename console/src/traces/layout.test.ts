import { describe, expect, it } from 'vitest';
import type { StoredSpan } from '../../../src/model/trace.js';
import { formatMs, shortService, statusColor, waterfall } from './layout';

const base = { traceId: 'f'.repeat(32), method: 'POST', status: 200, error: false } as const;
const spans: StoredSpan[] = [
  // out of order on purpose: the tree puts inventory under orders under web
  {
    ...base,
    spanId: 'c',
    parentId: 'b',
    kind: 'service',
    service: 'shop/prod/inventory',
    caller: 'shop/prod/orders',
    startMs: 1060,
    durationMs: 20,
  },
  {
    ...base,
    spanId: 'a',
    kind: 'edge',
    edge: 'shop/prod',
    route: '/',
    service: 'shop/prod/web',
    startMs: 1000,
    durationMs: 100,
  },
  {
    ...base,
    spanId: 'b',
    parentId: 'a',
    kind: 'service',
    service: 'shop/prod/orders',
    caller: 'shop/prod/web',
    startMs: 1050,
    durationMs: 0.001,
  },
];

describe('the waterfall layout', () => {
  it('nests spans under their parents and places each bar on the trace’s time axis', () => {
    const w = waterfall(spans);
    expect(w.totalMs).toBe(100);
    expect(w.ticks).toEqual([0, 25, 50, 75, 100]);
    expect(w.rows.map((r) => [r.span.spanId, r.depth, r.offsetMs, r.leftPct])).toEqual([
      ['a', 0, 0, 0],
      ['b', 1, 50, 50],
      ['c', 2, 60, 60],
    ]);
    expect(w.rows.map((r) => r.widthPct)).toEqual([100, 0.5, 20]);
  });

  it('formats durations, colours by status and shortens the page’s own services', () => {
    expect([formatMs(0.84), formatMs(12.34), formatMs(1250)]).toEqual(['0.8 ms', '12.3 ms', '1.25 s']);
    expect([statusColor({ status: 503, error: true }), statusColor({ status: 404, error: false })]).toEqual([
      '#ff4d4f',
      '#faad14',
    ]);
    expect(statusColor({ status: 201, error: false })).toBe('#52c41a');
    expect([shortService('shop/prod/web', 'shop', 'prod'), shortService('pay/prod/api', 'shop', 'prod')]).toEqual([
      'web',
      'pay/prod/api',
    ]);
    expect(waterfall([])).toEqual({ rows: [], startMs: 0, totalMs: 0, ticks: [] });
  });
});
