import { describe, expect, it } from 'vitest';
import { forwardHeaders } from './headers.js';
import { SpanQueue } from './spans.js';
import { parseTraceParent } from './traceContext.js';

const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** The values of header `name` in a flat [name, value, ...] list. */
const values = (headers: string[], name: string): string[] =>
  headers.filter((_, i) => i % 2 === 1 && headers[i - 1]!.toLowerCase() === name);

describe('SpanQueue.begin on the forwarded headers', () => {
  it('replaces the incoming traceparent in place, drops a second one and a client x-berth-trace-id', () => {
    const fwd = forwardHeaders(
      ['Host', 'x', 'TraceParent', incoming, 'traceparent', 'second', 'X-Berth-Trace-Id', 'spoof', 'A', 'b'],
      '10.0.0.1',
    );
    const span = new SpanQueue().begin(fwd, 'service', 'GET', 's/e/x');
    expect(values(fwd.headers, 'traceparent')).toEqual([`00-${span.traceId}-${span.spanId}-01`]);
    expect(values(fwd.headers, 'x-berth-trace-id')).toEqual(['4bf92f3577b34da6a3ce929d0e0e4736']);
    expect(span.parentId).toBe('00f067aa0ba902b7');
  });

  it('keeps the index right when Connection names headers before it, and starts a trace when it names traceparent', () => {
    const before = forwardHeaders(['X-Hop', '1', 'traceparent', incoming, 'Connection', 'x-hop'], undefined);
    new SpanQueue().begin(before, 'service', 'GET', undefined);
    expect(values(before.headers, 'x-hop')).toEqual([]);
    expect(parseTraceParent(values(before.headers, 'traceparent')[0])?.traceId).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );

    const named = forwardHeaders(['traceparent', incoming, 'Connection', 'traceparent'], undefined);
    const span = new SpanQueue().begin(named, 'service', 'GET', undefined);
    expect(span.parentId).toBeUndefined();
    expect(values(named.headers, 'traceparent')).toHaveLength(1);
  });

  it('keeps tracestate with a valid traceparent and drops it with a new trace (W3C processing model)', () => {
    const raw = (tp?: string) => [
      ...(tp ? ['traceparent', tp] : []),
      'TraceState',
      'congo=t61rcWkgMzE',
      'tracestate',
      'rojo=1',
    ];
    const kept = forwardHeaders(raw(incoming), undefined);
    new SpanQueue().begin(kept, 'service', 'GET', undefined);
    expect(values(kept.headers, 'tracestate')).toEqual(['congo=t61rcWkgMzE', 'rojo=1']);
    for (const tp of [undefined, 'garbage']) {
      const fwd = forwardHeaders(raw(tp), undefined);
      const span = new SpanQueue().begin(fwd, 'service', 'GET', undefined);
      expect(values(fwd.headers, 'tracestate')).toEqual([]);
      expect(values(fwd.headers, 'traceparent')).toEqual([`00-${span.traceId}-${span.spanId}-01`]);
    }
  });

  it('drainJSON writes what JSON.stringify of drain would, escaping the edge, route and service', () => {
    const fill = (q: SpanQueue): void => {
      const edge = q.begin(
        forwardHeaders(['traceparent', incoming], undefined),
        'edge',
        'POST',
        'a/b/"c',
        'a/b',
        'h.example/pa"th\\',
      );
      edge.spanId = '1'.repeat(16);
      // A start whose sum with 12.5 is exact, so both queues hold the same duration.
      edge.startMs = 1024;
      edge.end('canary', 201, false, 1036.5);
      const svc = q.begin(forwardHeaders([], undefined), 'service', 'GET', undefined);
      svc.traceId = '2'.repeat(32);
      svc.spanId = '3'.repeat(16);
      svc.startMs = 2048;
      svc.end(undefined, 0, true, 2049);
    };
    const [a, b] = [new SpanQueue(), new SpanQueue()];
    fill(a);
    fill(b);
    const byHand = JSON.parse(a.drainJSON(10)) as { spans: Record<string, unknown>[] };
    const expected = JSON.parse(JSON.stringify(b.drain(10))) as { spans: Record<string, unknown>[] };
    // The same spans apart from the start (each queue's hops began at their own time).
    for (const s of [...byHand.spans, ...expected.spans]) delete s.startMs;
    expect(byHand).toEqual(expected);
    expect(byHand.spans[0]).toMatchObject({
      service: 'a/b/"c',
      route: 'h.example/pa"th\\',
      parentId: '00f067aa0ba902b7',
    });
    expect(JSON.parse(new SpanQueue().drainJSON(5))).toEqual({ spans: [], dropped: 0, queued: 0 });
  });

  it('drains a large batch in slices with turns of the event loop between them, as drainJSON would write it', async () => {
    const fill = (q: SpanQueue): void => {
      for (let i = 0; i < 7; i++) {
        const span = q.begin(forwardHeaders([], undefined), 'service', 'GET', `a/b/${i}`);
        span.spanId = String(i).repeat(16);
        span.startMs = 1024;
        span.end('stable', 200, false, 1025);
      }
    };
    const [a, b] = [new SpanQueue(), new SpanQueue()];
    fill(a);
    fill(b);
    let turns = 0;
    const tick = (): void => {
      turns++;
      if (turns < 100) setImmediate(tick);
    };
    setImmediate(tick);
    const parts = await a.drainPartsYielding(10, 2);
    // Four slices of two: three turns of the event loop between them ran the other callbacks.
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(parts).toMatchObject({ count: 7, dropped: 0, queued: 0 });
    const strip = (json: string) =>
      (JSON.parse(json) as { spans: Record<string, unknown>[] }).spans.map(
        ({ startMs: _s, traceId: _t, ...rest }) => rest,
      );
    expect(strip(`{"spans":[${parts.items}]}`)).toEqual(strip(b.drainJSON(10)));
    expect(JSON.parse(await new SpanQueue().drainJSONYielding(5))).toEqual({ spans: [], dropped: 0, queued: 0 });
  });

  it('ends a span once, with wall-clock start and duration', () => {
    const q = new SpanQueue(10);
    const span = q.begin(forwardHeaders([], undefined), 'edge', 'POST', 'a/b/c', 'a/b', '/');
    span.end('canary', 201, false, performance.now());
    span.end('stable', 500, true, performance.now());
    const { spans } = q.drain(10);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ track: 'canary', status: 201, error: false, kind: 'edge', method: 'POST' });
    expect(Math.abs(spans[0]!.startMs - Date.now())).toBeLessThan(5_000);
    expect(JSON.parse(JSON.stringify(spans[0]))).not.toHaveProperty('queue');
  });
});
