/**
 * OTLP export against a receiver that decodes what arrives with the official proto definitions
 * (test/support/otlpReceiver.ts): spans of real requests through a real gateway, collected as the
 * control plane collects them, then sent as protobuf and as OTLP/JSON; retries, refusals, partial
 * success and the bounded queue with real HTTP.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../../test/support/otlpReceiver.js';
import type { OtlpReceiver } from '../../test/support/otlpReceiver.js';
import { createGatewayControl } from '../gateway/control.js';
import type { TestGateway } from '../gateway/testing.js';
import { fetchText, freePort } from '../gateway/testing.js';
import { startTracedShop, type TracedShop } from '../../test/support/tracedShop.js';
import type { GatewaySpan } from '../model/trace.js';
import { startTraceCollector } from './collector.js';
import type { OtlpExportConfig } from './otlpConfig.js';
import { startOtlpExporter } from './otlpExporter.js';
import { TraceStore } from './traceStore.js';

let t: TestGateway;
let edgePort: number;
let shop: TracedShop;

beforeAll(async () => {
  shop = await startTracedShop('prod', 'otlp-inventory');
  ({ t, edgePort } = shop);
});

afterAll(async () => {
  await shop?.close();
});

function config(url: string, over: Partial<OtlpExportConfig> = {}): OtlpExportConfig {
  return {
    url,
    protocol: 'http/protobuf',
    headers: {},
    timeoutMs: 2000,
    maxQueue: 100,
    maxBatch: 10,
    delayMs: 10,
    ...over,
  };
}

/** A request through the edge, collected into a store and offered to `exporter`; the stored spans. */
async function traced(traceId: string, exporter: ReturnType<typeof startOtlpExporter>): Promise<GatewaySpan[]> {
  const store = new TraceStore({ file: join(t.home, `${traceId}.db`) });
  const control = createGatewayControl({ home: t.home });
  const collector = startTraceCollector({ store, source: (max) => control.spans(max), intervalMs: 60_000, exporter });
  try {
    const res = await fetchText(`http://127.0.0.1:${edgePort}/orders/7?card=secret`, {
      headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01`, 'x-ignored': 'yes' },
    });
    expect(res.status).toBe(200);
    let spans = store.trace(traceId);
    for (let i = 0; i < 100 && spans.length < 2; i++) {
      await collector.collect();
      spans = store.trace(traceId);
      if (spans.length < 2) await new Promise((r) => setTimeout(r, 10));
    }
    expect(spans).toHaveLength(2);
    return spans;
  } finally {
    await collector.stop();
    store.close();
  }
}

describe('OTLP export', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => (receiver = await startOtlpReceiver()));
  afterAll(() => receiver?.close());

  it.each([['http/protobuf'], ['http/json']] as const)(
    'sends the spans of a request through the gateway as %s with ids, resource and HTTP attributes',
    async (protocol) => {
      const traceId =
        protocol === 'http/json' ? '1af7651916cd43dd8448eb211c80319c' : '2af7651916cd43dd8448eb211c80319c';
      const exporter = startOtlpExporter({
        config: config(receiver.url, { protocol, headers: { 'x-tenant': 'blue' } }),
      });
      const before = receiver.requests.length;
      const [edge, inventory] = await traced(traceId, exporter);
      await exporter.flush();
      await exporter.stop();
      expect(exporter.stats()).toEqual({ exported: 2, failed: 0, dropped: 0, queued: 0 });
      const sent = receiver.requests.slice(before);
      expect(sent.map((r) => [r.headers['content-type'], r.headers['x-tenant']])).toEqual([
        [protocol === 'http/json' ? 'application/json' : 'application/x-protobuf', 'blue'],
      ]);
      // Grouped by resource (service) in the request: ordered by start here.
      const spans = receiver
        .spans()
        .filter((s) => s.traceId === traceId)
        .sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
      expect(spans.map((s) => [s.spanId, s.parentSpanId])).toEqual([
        [edge!.spanId, 'b7ad6b7169203331'],
        [inventory!.spanId, edge!.spanId],
      ]);
      const [e, i] = spans;
      expect(e).toMatchObject({
        name: 'GET /orders',
        kind: 2, // SPAN_KIND_SERVER
        statusCode: 0,
        scope: 'berth-gateway',
        resource: { 'service.name': 'orders', 'service.namespace': 'shop', 'deployment.environment.name': 'prod' },
        attributes: {
          'http.request.method': 'GET',
          'http.response.status_code': 200,
          'http.route': '/orders',
          'url.path': '/orders/7',
          'berth.span.kind': 'edge',
          'berth.edge': 'shop/prod',
          'berth.route': '/orders',
          'berth.service': 'shop/prod/orders',
          'berth.track': 'stable',
        },
      });
      expect(i).toMatchObject({
        name: 'GET',
        kind: 2,
        resource: { 'service.name': 'inventory', 'service.namespace': 'shop' },
        attributes: {
          'http.request.method': 'GET',
          'http.response.status_code': 200,
          'url.path': '/stock',
          'berth.span.kind': 'service',
        },
      });
      expect(i!.attributes).not.toHaveProperty('http.route');
      // Times in nanoseconds since the epoch, as recorded.
      expect(e!.startTimeUnixNano).toBe(
        BigInt(Math.floor(edge!.startMs)) * 1_000_000n + BigInt(Math.round((edge!.startMs % 1) * 1e6)),
      );
      expect(e!.endTimeUnixNano).toBeGreaterThan(e!.startTimeUnixNano);
    },
  );
});

function span(n: number, over: Partial<GatewaySpan> = {}): GatewaySpan {
  return {
    traceId: '3af7651916cd43dd8448eb211c80319c',
    spanId: n.toString(16).padStart(16, '0'),
    kind: 'service',
    service: 'shop/prod/orders',
    track: 'stable',
    method: 'POST',
    status: 200,
    error: false,
    startMs: 1_800_000_000_000 + n,
    durationMs: 1.5,
    ...over,
  };
}

describe('OTLP export failures', () => {
  it('retries 503 and no answer with backoff, then delivers the batch once', async () => {
    const receiver = await startOtlpReceiver((n) =>
      n < 2 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200 },
    );
    const exporter = startOtlpExporter({ config: config(receiver.url), initialBackoffMs: 20 });
    try {
      exporter.offer([span(1), span(2, { status: 502, error: true })]);
      await exporter.flush();
      expect(receiver.requests.map((r) => r.status)).toEqual([503, 503, 200]);
      expect(exporter.stats()).toEqual({ exported: 2, failed: 0, dropped: 0, queued: 0 });
      const [, bad] = receiver.spans();
      expect(bad).toMatchObject({ statusCode: 2, attributes: { 'error.type': '502' } });
    } finally {
      await exporter.stop();
      await receiver.close();
    }
    // A collector that is gone: retried maxAttempts times, then failed and counted.
    const gone = startOtlpExporter({
      config: config(`http://127.0.0.1:${await freePort()}/v1/traces`),
      initialBackoffMs: 5,
      maxAttempts: 3,
    });
    gone.offer([span(3)]);
    await gone.flush();
    expect(gone.stats()).toEqual({ exported: 0, failed: 1, dropped: 0, queued: 0 });
    await gone.stop();
  });

  it('gives up a batch the collector refuses (400) without retrying, and counts what it rejected', async () => {
    // ExportTraceServiceResponse { partial_success { rejected_spans: 1 } } as JSON.
    const receiver = await startOtlpReceiver((n) =>
      n === 0 ? { status: 400 } : { status: 200, body: JSON.stringify({ partialSuccess: { rejectedSpans: 1 } }) },
    );
    const exporter = startOtlpExporter({
      config: config(receiver.url, { protocol: 'http/json' }),
      initialBackoffMs: 5,
    });
    try {
      exporter.offer([span(1), span(2)]);
      await exporter.flush();
      expect(receiver.requests.map((r) => r.status)).toEqual([400]);
      expect(exporter.stats()).toMatchObject({ exported: 0, failed: 2 });
      exporter.offer([span(3), span(4)]);
      await exporter.flush();
      expect(exporter.stats()).toMatchObject({ exported: 1, failed: 3 });
    } finally {
      await exporter.stop();
      await receiver.close();
    }
  });

  it('never holds up the caller: a full queue drops the newest spans and counts them; batches are bounded', async () => {
    const receiver = await startOtlpReceiver(() => ({ status: 200 }));
    const exporter = startOtlpExporter({ config: config(receiver.url, { maxQueue: 5, maxBatch: 2, delayMs: 60_000 }) });
    try {
      // A full batch (two spans) leaves the queue at once: 1 and 2 are on their way, 3 and 4 wait.
      exporter.offer([1, 2, 3, 4].map((n) => span(n)));
      expect(exporter.stats()).toMatchObject({ queued: 2, dropped: 0 });
      // Room for three more: 8 and 9 are dropped, synchronously.
      exporter.offer([5, 6, 7, 8, 9].map((n) => span(n)));
      expect(exporter.stats()).toMatchObject({ queued: 5, dropped: 2 });
      // Full batches go one after the other; the seventh span waits for the delay (a minute here).
      for (let i = 0; i < 200 && receiver.spans().length < 6; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      expect(receiver.requests).toHaveLength(3);
      expect(exporter.stats()).toEqual({ exported: 6, failed: 0, dropped: 2, queued: 1 });
      await exporter.flush();
      expect(exporter.stats()).toEqual({ exported: 7, failed: 0, dropped: 2, queued: 0 });
      expect(receiver.spans().map((s) => s.spanId.slice(-1))).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    } finally {
      await exporter.stop();
      await receiver.close();
    }
  });
});
