/**
 * Tracing on the HAProxy data plane, end to end: with `BERTH_DATA_PLANE=haproxy` the example shop's
 * services and edge are served by HAProxy alone, which continues the trace in its own rules and logs
 * each hop to the gateway; `berth trace ID` shows a purchase through web → orders → inventory as
 * three nested spans, as with the Node data plane.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceView } from '../../src/model/trace.js';
import { freePort } from '../../src/gateway/testing.js';
import { copyExample, startBerth, type Berth } from './harness.js';

let berth: Berth;
let shop: string;

beforeAll(async () => {
  berth = await startBerth({ env: { BERTH_DATA_PLANE: 'haproxy' } });
  shop = await copyExample('shop');
});
afterAll(async () => {
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

describe('berth trace on the HAProxy data plane', () => {
  it('shows a purchase through web → orders → inventory that HAProxy served as one trace of three spans', async () => {
    const port = await freePort();
    expect((await berth.cli(['env', 'create', 'hx', '--edge-port', String(port)])).code).toBe(0);
    const deployed = await berth.cli(['deploy', shop, '--env', 'hx', '-m', 'traced by haproxy']);
    expect(deployed.code, deployed.stderr).toBe(0);
    // HAProxy serves them alone: no Node listener behind any frontend.
    const cfg = await readFile(join(berth.home, 'gateway/haproxy/haproxy.cfg'), 'utf8');
    expect(cfg).toContain('log-format "berth-span');
    expect(cfg).not.toMatch(/server node 127\.0\.0\.1:\d+\n/);

    const traceId = '9bf92f3577b34da6a3ce929d0e0e4732';
    const res = await fetch(`http://127.0.0.1:${port}/buy?item=plum`, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(201);
    let view: TraceView | undefined;
    for (let i = 0; i < 50; i++) {
      const r = await berth.cli(['trace', traceId, '-o', 'json']);
      if (r.code === 0) {
        view = JSON.parse(r.stdout) as TraceView;
        if (view.spans.length >= 3) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(view?.spans.map((s) => [s.kind, s.service, s.caller, s.method, s.status, s.track])).toEqual([
      ['edge', 'shop/hx/web', undefined, 'POST', 201, 'stable'],
      ['service', 'shop/hx/orders', 'shop/hx/web', 'POST', 201, 'stable'],
      ['service', 'shop/hx/inventory', 'shop/hx/orders', 'POST', 200, 'stable'],
    ]);
    const [web, orders, inventory] = view!.spans;
    expect(web).toMatchObject({ parentId: '00f067aa0ba902b7', edge: 'shop/hx', route: '/' });
    expect(orders!.parentId).toBe(web!.spanId);
    expect(inventory!.parentId).toBe(orders!.spanId);
    // The trace id reached the service as X-Berth-Trace-Id: web logs it.
    const logs = await berth.cli(['logs', 'shop/web', '--env', 'hx']);
    expect(logs.stdout).toContain(`buy plum: 201 trace ${traceId}`);
  });
});
