/**
 * The control plane's two frequent reads of the gateway, against a real in-process gateway: `GET
 * /stats` answers 304 while no counter moved (and the full counters, exact, once one did), `GET
 * /spans?wait=` is held until a span is queued or a read releases it, and the control connection is
 * kept alive longer than the control plane's cadences; an answered read leaves no timer to wake the
 * control plane later.
 */
import { createHook } from 'node:async_hooks';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayControl } from './control.js';
import type { GatewayStats } from './controlApi.js';
import type { TestGateway } from './testing.js';
import { fetchText, freePort, startTestGateway } from './testing.js';

let t: TestGateway;
let port: number;
let slowPort: number;
const key = 'shop/local/orders';

beforeAll(async () => {
  t = await startTestGateway();
  const [fast, slow] = await Promise.all([t.upstream('orders'), t.upstream('slow', 400)]);
  [port, slowPort] = [await freePort(), await freePort()];
  await t.apply({
    services: [
      { key, port, backends: [{ id: 'o1', host: '127.0.0.1', port: fast.port }] },
      { key: 'shop/local/slow', port: slowPort, backends: [{ id: 's1', host: '127.0.0.1', port: slow.port }] },
    ],
    edges: [],
  });
}, 30_000);

afterAll(async () => {
  await t?.close();
});

const stats = (etag?: string) =>
  fetchText(`http://127.0.0.1:${t.gateway.controlPort}/stats`, {
    headers: { authorization: `Bearer ${t.token}`, ...(etag === undefined ? {} : { 'if-none-match': etag }) },
  });
const requestsOf = (s: GatewayStats | undefined): number =>
  s?.services.find((x) => x.key === key)?.tracks.reduce((n, tr) => n + tr.requests, 0) ?? -1;

describe('the control plane reads of the gateway', () => {
  it('GET /stats answers 304 while no counter moved, and the moved counters with a new ETag after a request', async () => {
    const first = await stats();
    expect(first.status).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    // Kept alive longer than the metric sampler's 10 s and the trace collector's held read.
    expect(first.headers['keep-alive']).toBe('timeout=75');

    const same = await stats(etag);
    expect(same).toMatchObject({ status: 304, text: '' });
    expect(same.headers.etag).toBe(etag);

    const before = requestsOf(JSON.parse(first.text) as GatewayStats);
    expect((await fetchText(`http://127.0.0.1:${port}/`)).status).toBe(200);
    const moved = await stats(etag);
    expect(moved.status).toBe(200);
    expect(moved.headers.etag).not.toBe(etag);
    expect(requestsOf(JSON.parse(moved.text) as GatewayStats)).toBe(before + 1);
  });

  it("the control's stats() answers its last reading again on a 304, and never counters older than its call", async () => {
    const control = createGatewayControl({ home: t.home });
    const a = await control.stats();
    const b = await control.stats();
    // Nothing moved: the gateway answered 304 and the control handed back the same reading.
    expect(b).toBe(a);
    // Shared by every caller, so nobody can change it for the next one.
    expect(Object.isFrozen(b!.services)).toBe(true);
    expect(() => b!.services.push(b!.services[0]!)).toThrow(TypeError);
    expect((await fetchText(`http://127.0.0.1:${port}/`)).status).toBe(200);
    const c = await control.stats();
    expect(c).not.toBe(a);
    expect(requestsOf(c)).toBe(requestsOf(a) + 1);
    expect(await control.stats()).toBe(c);
  });

  it('GET /stats has no ETag while a request is in flight (its exchange moves counters on its own)', async () => {
    const slow = fetchText(`http://127.0.0.1:${slowPort}/`);
    let during = await stats();
    for (const end = Date.now() + 5_000; ; during = await stats()) {
      const s = JSON.parse(during.text) as GatewayStats;
      if (s.listeners.some((l) => l.key === 'shop/local/slow' && l.inFlight === 1)) break;
      if (Date.now() > end) throw new Error('the slow request never showed in flight');
    }
    expect(during.headers.etag).toBeUndefined();
    expect((await slow).status).toBe(200);
    const after = await stats();
    expect(after.headers.etag).toBeDefined();
    expect((await stats(after.headers.etag as string)).status).toBe(304);
  });

  it('a held GET /spans is answered at the first span, at a release, or at once for a release that came first', async () => {
    const control = createGatewayControl({ home: t.home });
    await control.spans(20_000); // whatever earlier tests left
    const held = control.spans(100, { wait: { id: 'first-span', ms: 60_000 } });
    expect((await fetchText(`http://127.0.0.1:${port}/held`)).status).toBe(200);
    const got = await held;
    expect(got!.spans.length + got!.queued).toBe(1);

    const released = control.spans(100, { wait: { id: 'released', ms: 60_000 } });
    expect((await control.spans(100, { release: 'released' }))!.spans).toEqual([]);
    expect((await released)!.spans).toEqual([]);

    expect((await control.spans(100, { release: 'early' }))!.spans).toEqual([]);
    expect((await control.spans(100, { wait: { id: 'early', ms: 60_000 } }))!.spans).toEqual([]);
  });

  it('a held GET /spans whose client left takes no span: the next read has it', async () => {
    const control = createGatewayControl({ home: t.home });
    await control.spans(20_000);
    const req = httpRequest({
      host: '127.0.0.1',
      port: t.gateway.controlPort,
      path: '/spans?max=100&wait=60000&hold=gone',
      headers: { authorization: `Bearer ${t.token}` },
    });
    req.on('error', () => undefined);
    await new Promise<void>((resolve) => req.end(resolve));
    req.destroy();
    expect((await fetchText(`http://127.0.0.1:${port}/left`)).status).toBe(200);
    let spans: string[] = [];
    for (const end = Date.now() + 5_000; spans.length === 0 && Date.now() < end;)
      spans = (await control.spans(100))!.spans.map((s) => s.path ?? '');
    expect(spans).toEqual(['/left']);
  });

  it('an answered read leaves no timer behind to wake the control plane later', async () => {
    const control = createGatewayControl({ home: t.home });
    // Timer callbacks that run in this process, but the in-process gateway's HTTP server's (its Date
    // header's cache, refreshed each second): in the control plane that server is another process.
    let fired = 0;
    const hook = createHook({
      before(id) {
        if (timeouts.has(id)) fired++;
      },
      init(id, type) {
        if (type === 'Timeout' && !new Error().stack?.includes('node:_http_outgoing')) timeouts.add(id);
      },
    });
    const timeouts = new Set<number>();
    await control.stats();
    hook.enable();
    try {
      // Long enough for any tick of undici's own timeouts (every 499 ms while one runs, and once more after).
      const quiet = async (): Promise<number> => {
        fired = 0;
        await new Promise((r) => setTimeout(r, 1_200));
        return fired - 1; // the wait's own timer
      };
      const idle = await quiet();
      await control.stats();
      expect(await quiet()).toBe(idle);
    } finally {
      hook.disable();
    }
  });
});
