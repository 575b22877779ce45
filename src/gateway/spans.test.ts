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
