import { describe, expect, it } from 'vitest';
import type { StoredSpan } from '../model/trace.js';
import { spanTree, waterfallHead, waterfallRows } from './traceWaterfall.js';

const t0 = Date.parse('2026-12-06T09:00:00Z');
const span = (id: string, over: Partial<StoredSpan>): StoredSpan => ({
  traceId: 'f'.repeat(32),
  spanId: id.repeat(16),
  kind: 'service',
  method: 'GET',
  status: 200,
  error: false,
  startMs: t0,
  durationMs: 10,
  ...over,
});

describe('the trace waterfall', () => {
  const spans = [
    span('c', {
      parentId: 'b'.repeat(16),
      service: 'shop/local/inventory',
      caller: 'shop/local/orders',
      startMs: t0 + 20,
      durationMs: 10,
      status: 503,
      error: true,
    }),
    span('d', {
      parentId: 'a'.repeat(16),
      service: 'shop/local/mail',
      caller: 'shop/local/web',
      startMs: t0 + 50,
      durationMs: 30,
    }),
    span('a', {
      kind: 'edge',
      edge: 'shop/local',
      route: '/',
      service: 'shop/local/web',
      track: 'stable',
      startMs: t0,
      durationMs: 100,
    }),
    span('b', {
      parentId: 'a'.repeat(16),
      service: 'shop/local/orders',
      caller: 'shop/local/web',
      method: 'POST',
      startMs: t0 + 10,
      durationMs: 40,
    }),
  ];

  it('nests each span under its parent, siblings by start', () => {
    expect(spanTree(spans).map(({ span: s, depth }) => `${depth} ${s.service}`)).toEqual([
      '0 shop/local/web',
      '1 shop/local/orders',
      '2 shop/local/inventory',
      '1 shop/local/mail',
    ]);
  });

  it('shows service, caller, route, status, offset, duration and a bar on the trace axis', () => {
    const rows = waterfallRows({ traceId: 'f'.repeat(32), spans });
    expect(rows.map((r) => [r.service, r.caller, r.route, r.status, r.offset, r.duration])).toEqual([
      ['shop/local/web', 'edge shop/local', 'GET /', '200', '0.0 ms', '100.0 ms'],
      ['  shop/local/orders', 'shop/local/web', 'POST', '200', '10.0 ms', '40.0 ms'],
      ['    shop/local/inventory', 'shop/local/orders', 'GET', '503', '20.0 ms', '10.0 ms'],
      ['  shop/local/mail', 'shop/local/web', 'GET', '200', '50.0 ms', '30.0 ms'],
    ]);
    expect(rows[0]!['']).toBe('█'.repeat(30));
    expect(rows[1]!['']).toBe(`${' '.repeat(3)}${'█'.repeat(12)}`);
    expect(waterfallHead({ traceId: 'f'.repeat(32), spans })).toBe(
      `trace ${'f'.repeat(32)}: 4 spans, 100.0 ms, started 2026-12-06T09:00:00.000Z, 1 failed`,
    );
  });
});
