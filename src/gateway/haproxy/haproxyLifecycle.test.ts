/**
 * The HAProxy data plane across changes: a removal waits for in-flight requests, replicas replaced
 * under keep-alive load, a service switched to a canary split (Node behind HAProxy) and back, a
 * backend grown past its slots, a taken port retried, and a new gateway adopting the running HAProxy.
 */
import type { Server } from 'node:net';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { RoutingTable, ServiceListener } from '../table.js';
import { freePort } from '../testing.js';
import { backend, get, load, useHaproxy } from './testdata/harness.js';

const gw = useHaproxy();

describe('HAProxy data plane across changes', () => {
  it('resolves a removal only after the replica finished its in-flight request, which gets its full answer', async () => {
    const [slow, fresh] = await Promise.all([gw.upstream('slow', 800), gw.upstream('fresh')]);
    const port = await freePort();
    await gw.hx.apply(gw.table([{ key: 'shop/local/slow', port, backends: [backend(slow)] }]));
    const inFlight = get(port, '/slow');
    while (slow.received === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await gw.hx.apply(gw.table([{ key: 'shop/local/slow', port, backends: [backend(fresh)] }]));
    const waited = Date.now() - started;
    expect(slow.hits).toBe(1); // answered before apply resolved
    expect(waited).toBeGreaterThan(500);
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.echo!.name).toBe('slow');
    // Idle pooled connections to the removed replica are closed too.
    const open = (): Promise<number> => new Promise((resolve) => slow.server.getConnections((_e, n) => resolve(n)));
    for (let i = 0; i < 50 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await open()).toBe(0);
    expect((await get(port, '/')).echo!.name).toBe('fresh');
  });

  it('loses no request of a keep-alive load while replicas are replaced 12 times', async () => {
    const port = await freePort();
    let current = [await gw.upstream('gen0-a'), await gw.upstream('gen0-b')];
    await gw.hx.apply(gw.table([{ key: 'shop/local/roll', port, backends: current.map((u) => backend(u)) }]));
    const l = load(port);
    for (let i = 1; i <= 12; i++) {
      const next = await gw.upstream(`gen${i}-${i % 2 ? 'a' : 'b'}`, 2);
      // Surge one, then drop one, as a rolling update does; the dropped replica is closed right after.
      await gw.hx.apply(
        gw.table([{ key: 'shop/local/roll', port, backends: [...current, next].map((u) => backend(u)) }]),
      );
      const gone = current.shift()!;
      current = [...current, next];
      await gw.hx.apply(gw.table([{ key: 'shop/local/roll', port, backends: current.map((u) => backend(u)) }]));
      await gone.close();
      await new Promise((r) => setTimeout(r, 30));
    }
    const r = await l.stop();
    expect(r.reasons).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.ok).toBeGreaterThan(200);
    expect(r.names.has('gen12-b')).toBe(true);
    expect(gw.hx.pid()).toBeDefined();
  });

  it('switches a service to a canary split (Node behind HAProxy) and back without failing a request', async () => {
    const [stable, canary] = await Promise.all([gw.upstream('split-stable'), gw.upstream('split-canary')]);
    const port = await freePort();
    const backends = [backend(stable), backend(canary, 'canary')];
    const svc = (split?: ServiceListener['split']): ServiceListener => ({
      key: 'shop/local/split',
      port,
      backends,
      ...(split ? { split } : {}),
    });
    await gw.hx.apply(gw.table([svc()]));
    const pid = gw.hx.pid();
    const l = load(port);
    await new Promise((r) => setTimeout(r, 150));
    await gw.hx.apply(gw.table([svc({ canaryWeight: 50 })]));
    await new Promise((r) => setTimeout(r, 300));
    const during = canary.hits;
    await gw.hx.apply(gw.table([svc()]));
    await new Promise((r) => setTimeout(r, 150));
    const r = await l.stop();
    expect(r.reasons).toEqual([]);
    expect(r.failed).toBe(0);
    expect(during).toBeGreaterThan(10); // the split reached the canary
    const after = canary.hits;
    for (let i = 0; i < 5; i++) expect((await get(port)).echo!.name).toBe('split-stable');
    expect(canary.hits).toBe(after);
    expect(gw.hx.pid()).toBe(pid); // same HAProxy master throughout
  });

  it('grows a backend past its slots with a reload that keeps every replica, and serves all of them', async () => {
    const port = await freePort();
    const ups = await Promise.all(Array.from({ length: 10 }, (_, i) => gw.upstream(`grow-${i}`)));
    await gw.hx.apply(gw.table([{ key: 'shop/local/grow', port, backends: ups.slice(0, 2).map((u) => backend(u)) }]));
    const l = load(port, 2);
    await gw.hx.apply(gw.table([{ key: 'shop/local/grow', port, backends: ups.map((u) => backend(u)) }]));
    const r = await l.stop();
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add((await get(port)).echo!.name);
    expect(r.reasons).toEqual([]);
    expect(r.failed).toBe(0);
    expect(seen.size).toBe(10);
  });

  it('reports a taken port and serves the others; the taken one is retried on the next apply', async () => {
    const taken = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    const u = await gw.upstream('taken-ok');
    const ok = await freePort();
    const t = (): RoutingTable =>
      gw.table([
        { key: 'shop/local/blocked', port: taken, backends: [backend(u)] },
        { key: 'shop/local/fine', port: ok, backends: [backend(u)] },
      ]);
    try {
      expect(await gw.hx.apply(t())).toEqual([{ key: 'shop/local/blocked', port: taken, message: 'EADDRINUSE' }]);
      expect((await get(ok)).status).toBe(200);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    expect(await gw.hx.apply(t())).toEqual([]);
    expect((await get(taken)).echo!.name).toBe('taken-ok');
  });

  it('a new gateway adopts the running HAProxy: same process, serving throughout', async () => {
    const u = await gw.upstream('adopted');
    const port = await freePort();
    const t = gw.table([{ key: 'shop/local/adopt', port, backends: [backend(u)] }]);
    await gw.hx.apply(t);
    const pid = gw.hx.pid();
    const l = load(port, 2);
    await gw.hx.close({ keepHaproxy: true });
    gw.hx = gw.open();
    expect(gw.hx.pid()).toBe(pid);
    expect(await gw.hx.apply(t)).toEqual([]);
    expect(gw.hx.pid()).toBe(pid);
    const r = await l.stop();
    expect(r.failed).toBe(0);
    expect(r.ok).toBeGreaterThan(10);
  });
});
