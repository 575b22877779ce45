/**
 * Tracing at the proxy, end to end: the example shop on a real control plane and gateway. A purchase
 * through the edge goes web → orders → inventory, each service forwarding traceparent; the control
 * plane collects the gateway's spans, and `berth trace ID` shows the three hops in order, nested,
 * with their callers.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceList, TraceView } from '../../src/model/trace.js';
import { freePort } from '../../src/gateway/testing.js';
import { copyExample, startBerth, type Berth } from './harness.js';

let berth: Berth;
let shop: string;

beforeAll(async () => {
  berth = await startBerth();
  shop = await copyExample('shop');
});
afterAll(async () => {
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

describe('berth trace', () => {
  it('shows a purchase through web → orders → inventory as one trace of three spans in order', async () => {
    const port = await freePort();
    expect((await berth.cli(['env', 'create', 'tr', '--edge-port', String(port)])).code).toBe(0);
    const deployed = await berth.cli(['deploy', shop, '--env', 'tr', '-m', 'traced']);
    expect(deployed.code, deployed.stderr).toBe(0);

    const traceId = '5bf92f3577b34da6a3ce929d0e0e4737';
    const res = await fetch(`http://127.0.0.1:${port}/buy?item=plum`, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(201);

    // The collector takes the gateway's spans every second.
    let view: TraceView | undefined;
    for (let i = 0; i < 50; i++) {
      const r = await berth.cli(['trace', traceId, '-o', 'json']);
      if (r.code === 0) {
        view = JSON.parse(r.stdout) as TraceView;
        if (view.spans.length >= 3) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(view?.spans.map((s) => [s.kind, s.service, s.caller, s.method, s.status])).toEqual([
      ['edge', 'shop/tr/web', undefined, 'POST', 201],
      ['service', 'shop/tr/orders', 'shop/tr/web', 'POST', 201],
      ['service', 'shop/tr/inventory', 'shop/tr/orders', 'POST', 200],
    ]);
    const [web, orders, inventory] = view!.spans;
    expect(web!.parentId).toBe('00f067aa0ba902b7');
    expect(orders!.parentId).toBe(web!.spanId);
    expect(inventory!.parentId).toBe(orders!.spanId);
    expect(web).toMatchObject({ edge: 'shop/tr', route: '/', track: 'stable', path: '/buy' });

    const table = await berth.cli(['trace', traceId]);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^trace ${traceId}: 3 spans, [0-9.]+ m?s, started `));
    expect(lines[1]).toMatch(/^SERVICE +CALLER +ROUTE +TRACK +STATUS +OFFSET +DURATION$/);
    expect(lines[2]).toMatch(/^shop\/tr\/web +edge shop\/tr +POST \/ +stable +201 +0\.0 ms +[0-9.]+ m?s +█+$/);
    expect(lines[3]).toMatch(/^ {2}shop\/tr\/orders +shop\/tr\/web +POST +stable +201 /);
    expect(lines[4]).toMatch(/^ {4}shop\/tr\/inventory +shop\/tr\/orders +POST +stable +200 /);

    // The trace id reached the service as X-Berth-Trace-Id: web logs it.
    const logs = await berth.cli(['logs', 'shop/web', '--env', 'tr']);
    expect(logs.stdout).toContain(`buy plum: 201 trace ${traceId}`);

    // The control plane's /metrics counts the spans it stored (and any the gateway dropped).
    const metrics = await berth.api<string>('GET', '/metrics');
    const stored = /^berth_trace_spans_total\{outcome="stored"\} (\d+)$/m.exec(String(metrics.body));
    expect(Number(stored?.[1])).toBeGreaterThanOrEqual(3);
    expect(String(metrics.body)).toMatch(/^berth_trace_spans_total\{outcome="dropped"\} 0$/m);

    // The app's recent traces: this one first, with its root, the services it reached and its status.
    const list = await berth.cli(['traces', 'shop', '--env', 'tr', '-o', 'json']);
    expect(list.code, list.stderr).toBe(0);
    const traces = (JSON.parse(list.stdout) as TraceList).traces;
    expect(traces.find((t) => t.traceId === traceId)).toMatchObject({
      spans: 3,
      services: ['shop/tr/web', 'shop/tr/orders', 'shop/tr/inventory'],
      error: false,
      root: { kind: 'edge', route: '/', method: 'POST', status: 201 },
    });
    const inventoryOnly = await berth.cli(['traces', 'shop/inventory', '--env', 'tr', '--min-duration', '0ms']);
    expect(inventoryOnly.stdout).toMatch(/^TRACE +STARTED +ROOT +SERVICES +SPANS +DURATION +STATUS$/m);
    expect(inventoryOnly.stdout).toMatch(
      new RegExp(`^${traceId} +\\S+ +POST / +web,orders,inventory +3 +[0-9.]+ m?s +201$`, 'm'),
    );
    expect((await berth.cli(['traces', 'shop', '--env', 'tr', '--errors'])).stderr).toContain('no traces of shop');
    const badSince = await berth.api('GET', '/api/v1/apps/shop/envs/tr/traces?since=soon');
    expect([badSince.status, JSON.stringify(badSince.body)]).toEqual([400, expect.stringContaining('since')]);
    const badLimit = await berth.api('GET', '/api/v1/apps/shop/envs/tr/traces?limit=9999');
    expect([badLimit.status, JSON.stringify(badLimit.body)]).toEqual([400, expect.stringContaining('limit')]);
    const badFlag = await berth.cli(['traces', 'shop', '--env', 'tr', '--min-duration', 'slow']);
    expect([badFlag.code, badFlag.stderr]).toEqual([1, expect.stringContaining('min-duration')]);
    const unknown = await berth.api('GET', '/api/v1/apps/shop/envs/tr/traces?service=nope');
    expect(unknown.status).toBe(404);

    const bad = await berth.cli(['trace', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('traceId');
    const missing = await berth.cli(['trace', '0'.repeat(31) + '1']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no spans of trace');
  });

  it('keeps the spans of requests made while the control plane is down, and stores them once it is back', async () => {
    await berth.kill('SIGKILL');
    const traceId = '6bf92f3577b34da6a3ce929d0e0e4738';
    // The gateway outlives the control plane: the edge still serves, and its span waits in the queue.
    const table = JSON.parse(await readFile(join(berth.home, 'gateway/table.json'), 'utf8')) as {
      edges: { key: string; port: number }[];
    };
    const edge = table.edges.find((e) => e.key === 'shop/tr')!.port;
    const res = await fetch(`http://127.0.0.1:${edge}/api/inventory`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(200);
    await berth.restart();
    let view: TraceView | undefined;
    for (let i = 0; i < 50 && view === undefined; i++) {
      const r = await berth.cli(['trace', traceId, '-o', 'json']);
      if (r.code === 0) view = JSON.parse(r.stdout) as TraceView;
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(view?.spans.map((s) => [s.kind, s.service, s.route, s.status])).toEqual([
      ['edge', 'shop/tr/inventory', '/api/inventory', 200],
    ]);
  });
});
