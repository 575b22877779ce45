/**
 * Tracing at the proxy, on a real gateway and real HTTP on 127.0.0.1: an edge request to service A,
 * whose replica calls service B through B's address forwarding `traceparent`, gives one trace of
 * two gateway spans, the second a child of the first; the spans leave through `GET /spans`.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewaySpan } from '../model/trace.js';
import type { Echo, TestGateway, Upstream } from './testing.js';
import { fetchText, freePort, startTestGateway } from './testing.js';
import { parseTraceParent } from './traceContext.js';

let t: TestGateway;
let b: Upstream;
let aServer: Server;
let aPort: number;
let edgePort: number;
let servicePortA: number;
let servicePortB: number;
/** What the replica of A saw on its last request. */
let aSaw: IncomingHttpHeaders = {};

const ctl = (path: string) =>
  fetchText(`http://127.0.0.1:${t.gateway.controlPort}${path}`, { headers: { authorization: `Bearer ${t.token}` } });

async function drain(): Promise<{ spans: GatewaySpan[]; dropped: number; queued: number }> {
  const res = await ctl('/spans');
  expect(res.status).toBe(200);
  return JSON.parse(res.text) as { spans: GatewaySpan[]; dropped: number; queued: number };
}

/** Spans drained from the gateway and not yet asked for, so one trace's wait keeps the others'. */
let pending: GatewaySpan[] = [];

/** Spans of one trace once `n` have ended (the edge hop ends just after the client has its answer). */
async function spansOf(traceId: string, n: number): Promise<GatewaySpan[]> {
  let got: GatewaySpan[] = [];
  for (let i = 0; i < 100; i++) {
    pending.push(...(await drain()).spans);
    got = got.concat(pending.filter((s) => s.traceId === traceId));
    pending = pending.filter((s) => s.traceId !== traceId);
    if (got.length >= n) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return got.sort((x, y) => x.startMs - y.startMs);
}

beforeAll(async () => {
  t = await startTestGateway({ drainTimeoutMs: 2_000 });
  b = await t.upstream('trace-b');
  [edgePort, servicePortA, servicePortB] = await Promise.all([freePort(), freePort(), freePort()]);
  // A's replica: calls B through B's service address, forwarding traceparent as an instrumented
  // (or merely header-copying) service does, and answers with what B saw.
  aServer = createServer((req, res) => {
    aSaw = req.headers;
    const headers: Record<string, string> = {};
    const tp = req.headers.traceparent;
    if (typeof tp === 'string') headers.traceparent = tp;
    request(`http://127.0.0.1:${servicePortB}/stock`, { headers })
      .then((r) => r.body.text())
      .then((text) => res.end(text))
      .catch((err: Error) => {
        res.statusCode = 500;
        res.end(err.message);
      });
  });
  await new Promise<void>((r) => aServer.listen(0, '127.0.0.1', r));
  aPort = (aServer.address() as AddressInfo).port;
  await t.apply({
    services: [
      { key: 'shop/local/a', port: servicePortA, backends: [{ id: 'a-1', host: '127.0.0.1', port: aPort }] },
      { key: 'shop/local/b', port: servicePortB, backends: [{ id: 'b-1', host: '127.0.0.1', port: b.port }] },
    ],
    edges: [
      {
        key: 'shop/local',
        port: edgePort,
        routes: [{ pathPrefix: '/', target: 'shop/local/a', stripPrefix: false }],
      },
    ],
  });
});

afterEach(async () => {
  await drain();
  pending = [];
});

afterAll(async () => {
  aServer?.closeAllConnections();
  aServer?.close();
  await t?.close();
});

describe('tracing at the proxy', () => {
  it('an edge request through A to B is one trace: the edge span, then its child at B', async () => {
    const res = await fetchText(`http://127.0.0.1:${edgePort}/order/17`);
    expect(res.status).toBe(200);
    const bSaw = (JSON.parse(res.text) as Echo).headers;

    // A got a new trace: traceparent and the trace id header, its parent the gateway's edge span.
    const atA = parseTraceParent(aSaw.traceparent as string)!;
    expect(atA).toBeDefined();
    expect(aSaw['x-berth-trace-id']).toBe(atA.traceId);
    // B got the same trace, its parent the gateway's span at B's address (a new span id per hop).
    const atB = parseTraceParent(bSaw.traceparent as string)!;
    expect(atB.traceId).toBe(atA.traceId);
    expect(bSaw['x-berth-trace-id']).toBe(atA.traceId);
    expect(atB.parentId).not.toBe(atA.parentId);

    const [edge, service] = await spansOf(atA.traceId, 2);
    expect(edge).toMatchObject({
      traceId: atA.traceId,
      spanId: atA.parentId,
      kind: 'edge',
      edge: 'shop/local',
      route: '/',
      service: 'shop/local/a',
      track: 'stable',
      method: 'GET',
      status: 200,
      error: false,
    });
    expect(edge!.parentId).toBeUndefined();
    expect(service).toMatchObject({
      traceId: atA.traceId,
      spanId: atB.parentId,
      parentId: edge!.spanId,
      kind: 'service',
      service: 'shop/local/b',
      track: 'stable',
      status: 200,
    });
    // B's hop lies inside A's: it starts later and ends earlier.
    expect(service!.startMs).toBeGreaterThanOrEqual(edge!.startMs);
    expect(service!.startMs + service!.durationMs).toBeLessThanOrEqual(edge!.startMs + edge!.durationMs + 0.001);
    expect(Math.abs(edge!.startMs - Date.now())).toBeLessThan(10_000);
  });

  it('continues a valid incoming trace: same trace id, the caller its parent, flags passed on', async () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    const res = await fetchText(`http://127.0.0.1:${servicePortB}/x`, {
      headers: { traceparent: incoming, 'x-berth-trace-id': 'spoofed' },
    });
    const saw = (JSON.parse(res.text) as Echo).headers;
    const tp = parseTraceParent(saw.traceparent as string)!;
    expect(tp.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(tp.parentId).not.toBe('00f067aa0ba902b7');
    expect(tp.flags).toBe(0);
    expect(saw['x-berth-trace-id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const [span] = await spansOf(tp.traceId, 1);
    expect(span).toMatchObject({ parentId: '00f067aa0ba902b7', spanId: tp.parentId, service: 'shop/local/b' });
  });

  it.each([
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['upper case', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
    ['garbage', 'not a traceparent'],
  ])('an invalid traceparent (%s) starts a new trace', async (_what, incoming) => {
    const res = await fetchText(`http://127.0.0.1:${servicePortB}/x`, { headers: { traceparent: incoming } });
    const saw = (JSON.parse(res.text) as Echo).headers;
    const tp = parseTraceParent(saw.traceparent as string)!;
    expect(tp).toBeDefined();
    expect(tp.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(tp.traceId).not.toBe('00000000000000000000000000000000');
    const [span] = await spansOf(tp.traceId, 1);
    expect(span!.parentId).toBeUndefined();
  });

  it('records the gateway’s own answer: a 503 with no ready replica is a span with no track', async () => {
    await t.apply({
      services: [{ key: 'shop/local/none', port: servicePortB, backends: [] }],
      edges: [],
    });
    const res = await fetchText(`http://127.0.0.1:${servicePortB}/x`, {
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    expect(res.status).toBe(503);
    const [span] = await spansOf('0af7651916cd43dd8448eb211c80319c', 1);
    expect(span).toMatchObject({ service: 'shop/local/none', status: 503, error: true });
    expect(span!.track).toBeUndefined();
  });

  it('records an edge request no route takes: a 404 span of the edge with no service', async () => {
    await t.apply({
      services: [],
      edges: [
        {
          key: 'shop/local',
          port: edgePort,
          routes: [{ pathPrefix: '/api', target: 'shop/local/a', stripPrefix: false }],
        },
      ],
    });
    const res = await fetchText(`http://127.0.0.1:${edgePort}/nowhere?x=1`, {
      headers: { traceparent: '00-1af7651916cd43dd8448eb211c80319d-b7ad6b7169203331-01' },
    });
    expect(res.status).toBe(404);
    const [span] = await spansOf('1af7651916cd43dd8448eb211c80319d', 1);
    expect(span).toMatchObject({ kind: 'edge', edge: 'shop/local', path: '/nowhere', status: 404, error: false });
    expect(span).not.toHaveProperty('service');
    expect(span).not.toHaveProperty('route');
  });
});

describe('tracing under a traffic policy', () => {
  it('records the status the client got: a retried 503 that then succeeds, a timeout 504, a 429', async () => {
    const failing = await t.upstream('trace-503', 0, 503);
    const slow = await t.upstream('trace-slow', 1_000);
    const [retryPort, timeoutPort, limitPort] = await Promise.all([freePort(), freePort(), freePort()]);
    await t.apply({
      services: [
        {
          key: 'p/local/retry',
          port: retryPort,
          backends: [
            { id: 'bad', host: '127.0.0.1', port: failing.port },
            { id: 'good', host: '127.0.0.1', port: b.port },
          ],
          policy: { retries: { attempts: 1, onStatus: [503], backoffMs: 0 } },
        },
        {
          key: 'p/local/timeout',
          port: timeoutPort,
          backends: [{ id: 'slow', host: '127.0.0.1', port: slow.port }],
          policy: { timeoutMs: 100 },
        },
        {
          key: 'p/local/limit',
          port: limitPort,
          backends: [{ id: 'l', host: '127.0.0.1', port: b.port }],
          policy: { rateLimit: { requestsPerSecond: 0.01, burst: 1 } },
        },
      ],
      edges: [],
    });
    const traced = (n: number) => ({ traceparent: `00-${String(n).repeat(32)}-00f067aa0ba902b7-01` });
    // Round robin starts at either backend: two requests, one of them meets the 503 first and is retried.
    for (const n of [1, 2])
      expect((await fetchText(`http://127.0.0.1:${retryPort}/`, { headers: traced(n) })).status).toBe(200);
    expect((await fetchText(`http://127.0.0.1:${timeoutPort}/`, { headers: traced(3) })).status).toBe(504);
    expect((await fetchText(`http://127.0.0.1:${limitPort}/`, { headers: traced(4) })).status).toBe(200);
    expect((await fetchText(`http://127.0.0.1:${limitPort}/`, { headers: traced(5) })).status).toBe(429);

    for (const n of [1, 2])
      expect((await spansOf(String(n).repeat(32), 1))[0]).toMatchObject({
        service: 'p/local/retry',
        status: 200,
        error: false,
        track: 'stable',
      });
    expect((await spansOf('3'.repeat(32), 1))[0]).toMatchObject({
      service: 'p/local/timeout',
      status: 504,
      error: true,
    });
    expect((await spansOf('5'.repeat(32), 1))[0]).toMatchObject({
      service: 'p/local/limit',
      status: 429,
      error: false,
    });
    expect(await spansOf('4'.repeat(32), 1)).toMatchObject([{ service: 'p/local/limit', status: 200 }]);
  });
});

describe('the span queue', () => {
  it('is bounded: when full it drops and counts, /stats shows it, GET /spans?max takes a batch', async () => {
    const small = await startTestGateway({ spanQueueCapacity: 3 });
    try {
      const up = await small.upstream('trace-q');
      const port = await freePort();
      await small.apply({
        services: [{ key: 'q/local/s', port, backends: [{ id: 'q', host: '127.0.0.1', port: up.port }] }],
        edges: [],
      });
      for (let i = 0; i < 5; i++) expect((await fetchText(`http://127.0.0.1:${port}/`)).status).toBe(200);
      const auth = { authorization: `Bearer ${small.token}` };
      const base = `http://127.0.0.1:${small.gateway.controlPort}`;
      const stats = JSON.parse((await fetchText(`${base}/stats`, { headers: auth })).text) as { spans: unknown };
      expect(stats.spans).toEqual({ queued: 3, recorded: 3, dropped: 2 });
      const first = JSON.parse((await fetchText(`${base}/spans?max=2`, { headers: auth })).text) as {
        spans: GatewaySpan[];
        queued: number;
        dropped: number;
      };
      expect(first.spans).toHaveLength(2);
      expect(first).toMatchObject({ queued: 1, dropped: 2 });
      const bad = await fetchText(`${base}/spans?max=0`, { headers: auth });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('max');
    } finally {
      await small.close();
    }
  });

  it('with tracing off the proxy passes traceparent through untouched and adds no trace id', async () => {
    const off = await startTestGateway({ tracing: false });
    try {
      const up = await off.upstream('trace-off');
      const port = await freePort();
      await off.apply({
        services: [{ key: 'o/local/s', port, backends: [{ id: 'o', host: '127.0.0.1', port: up.port }] }],
        edges: [],
      });
      const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const saw = (
        JSON.parse((await fetchText(`http://127.0.0.1:${port}/`, { headers: { traceparent: incoming } })).text) as Echo
      ).headers;
      expect(saw.traceparent).toBe(incoming);
      expect(saw['x-berth-trace-id']).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});
