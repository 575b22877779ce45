/**
 * OTLP export end to end: a control plane started with the standard OTEL_EXPORTER_OTLP_* variables
 * sends the spans of a purchase through the example shop (web → orders → inventory) to a receiver
 * that decodes the protobuf payload with the official proto definitions; /metrics counts them. A
 * wrong variable keeps the control plane from starting, naming it.
 */
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/gateway/testing.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.js';
import { CLI, copyExample, startBerth, tempHome, type Berth } from './harness.js';

let berth: Berth;
let receiver: OtlpReceiver;
let shop: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  berth = await startBerth({
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace(/\/v1\/traces$/, ''),
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
  shop = await copyExample('shop');
});
afterAll(async () => {
  await berth?.teardown();
  await receiver?.close();
  if (shop) await rm(shop, { recursive: true, force: true });
});

describe('OTLP export from the control plane', () => {
  it('sends a purchase through web → orders → inventory as three SERVER spans of their services', async () => {
    const port = await freePort();
    expect((await berth.cli(['env', 'create', 'ot', '--edge-port', String(port)])).code).toBe(0);
    const deployed = await berth.cli(['deploy', shop, '--env', 'ot', '-m', 'exported']);
    expect(deployed.code, deployed.stderr).toBe(0);

    const traceId = '7bf92f3577b34da6a3ce929d0e0e4739';
    const res = await fetch(`http://127.0.0.1:${port}/buy?item=plum`, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.status, await res.text()).toBe(201);

    const ofTrace = () => receiver.spans().filter((s) => s.traceId === traceId);
    for (let i = 0; i < 100 && ofTrace().length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    const spans = ofTrace().sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
    expect(spans.map((s) => [s.resource['service.name'], s.kind, s.attributes['http.response.status_code']])).toEqual([
      ['web', 2, 201],
      ['orders', 2, 201],
      ['inventory', 2, 200],
    ]);
    const [web, orders, inventory] = spans;
    expect(web!.parentSpanId).toBe('00f067aa0ba902b7');
    expect(orders!.parentSpanId).toBe(web!.spanId);
    expect(inventory!.parentSpanId).toBe(orders!.spanId);
    expect(web).toMatchObject({
      name: 'POST /',
      resource: { 'service.namespace': 'shop', 'deployment.environment.name': 'ot' },
      attributes: { 'http.request.method': 'POST', 'berth.edge': 'shop/ot', 'berth.track': 'stable' },
    });
    // The same ids as the trace Berth stored itself.
    const stored = await berth.cli(['trace', traceId, '-o', 'json']);
    const ids = (JSON.parse(stored.stdout) as { spans: { spanId: string }[] }).spans.map((s) => s.spanId);
    expect(ids).toEqual(spans.map((s) => s.spanId));
    expect(receiver.requests.every((r) => r.headers['x-api-key'] === 's3cret')).toBe(true);
    expect(receiver.requests[0]!.headers['content-type']).toBe('application/x-protobuf');

    const metrics = String((await berth.api<string>('GET', '/metrics')).body);
    const exported = /^berth_trace_export_spans_total\{outcome="exported"\} (\d+)$/m.exec(metrics);
    expect(Number(exported?.[1])).toBeGreaterThanOrEqual(3);
    expect(metrics).toMatch(/^berth_trace_export_spans_total\{outcome="dropped"\} 0$/m);
  });

  it('refuses to start with a wrong OTEL_ variable, naming it', async () => {
    const home = await tempHome();
    try {
      const r = spawnSync(process.execPath, [CLI, 'server', '--port', '0', '--quiet'], {
        env: {
          ...process.env,
          BERTH_HOME: home,
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('OTEL_EXPORTER_OTLP_PROTOCOL');
      expect(r.stderr).toContain('"grpc" is not supported');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
