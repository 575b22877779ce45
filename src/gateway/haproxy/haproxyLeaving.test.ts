/**
 * A listener that leaves HAProxy's config (a service address or an edge removed, an edge moved to
 * another port, its port reused by another edge) is gone for its idle keep-alive clients too, as
 * the Node plane's closed listener is: their next request is refused or reaches what now owns the
 * port, never the reload's old worker answering once more with the old config. Busy keep-alive
 * clients of the listeners that stay lose no request across the same reloads.
 */
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import type { EdgeListener } from '../table.js';
import { freePort } from '../testing.js';
import { backend, load, useHaproxy } from './testdata/harness.js';

const gw = useHaproxy();

/** One keep-alive connection to `port` that outlives the requests made on it (as fetch's pool does). */
function client(port: number): { get(): Promise<string>; close(): Promise<void> } {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1, keepAliveTimeout: 60_000 });
  return {
    async get() {
      try {
        const res = await pool.request({ path: '/', method: 'GET' });
        return `${res.statusCode} ${(await res.body.text()).slice(0, 60)}`;
      } catch (err) {
        return `error ${(err as { code?: string }).code ?? String(err)}`;
      }
    },
    close: () => pool.close(),
  };
}

const edge = (key: string, port: number, target: string): EdgeListener => ({
  key,
  port,
  routes: [{ pathPrefix: '/', target, stripPrefix: false }],
});

describe('HAProxy listener that leaves', () => {
  it('refuses the idle keep-alive client of a removed service address and edge at its next request', async () => {
    const [kept, going] = await Promise.all([gw.upstream('kept'), gw.upstream('going')]);
    const [keptPort, goingPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    const services = [
      { key: 'shop/local/kept', port: keptPort, backends: [backend(kept)] },
      { key: 'shop/pr-1/web', port: goingPort, backends: [backend(going)] },
    ];
    expect(await gw.hx.apply(gw.table(services, [edge('shop/pr-1', edgePort, 'shop/pr-1/web')]))).toEqual([]);
    const [toService, toEdge, toKept] = [client(goingPort), client(edgePort), client(keptPort)];
    try {
      expect(await toService.get()).toMatch(/^200 /);
      expect(await toEdge.get()).toMatch(/^200 /);
      expect(await toKept.get()).toMatch(/^200 /);
      // The preview closes: its service and its edge leave the table.
      expect(await gw.hx.apply(gw.table([services[0]!]))).toEqual([]);
      expect(await toService.get()).toBe('error ECONNREFUSED');
      expect(await toEdge.get()).toBe('error ECONNREFUSED');
      // What stays serves its idle client on.
      expect(await toKept.get()).toMatch(/^200 .*"kept"/);
    } finally {
      await Promise.all([toService.close(), toEdge.close(), toKept.close()]);
    }
  });

  it('gives an idle keep-alive client of a reused port the new owner, not the old routes', async () => {
    const [a, b] = await Promise.all([gw.upstream('owner-a'), gw.upstream('owner-b')]);
    const [first, moved] = [await freePort(), await freePort()];
    const services = [
      { key: 'a/stage/web', port: await freePort(), backends: [backend(a)] },
      { key: 'b/stage/web', port: await freePort(), backends: [backend(b)] },
    ];
    expect(await gw.hx.apply(gw.table(services, [edge('a/stage', first, 'a/stage/web')]))).toEqual([]);
    const c = client(first);
    try {
      expect(await c.get()).toMatch(/^200 .*"owner-a"/);
      // a's edge moves to another port, then b's edge takes the first one (two reloads).
      expect(await gw.hx.apply(gw.table(services, [edge('a/stage', moved, 'a/stage/web')]))).toEqual([]);
      expect(
        await gw.hx.apply(
          gw.table(services, [edge('a/stage', moved, 'a/stage/web'), edge('b/stage', first, 'b/stage/web')]),
        ),
      ).toEqual([]);
      expect(await c.get()).toMatch(/^200 .*"owner-b"/);
    } finally {
      await c.close();
    }
  });

  it('loses no request of busy keep-alive clients of a listener that stays while others come and go', async () => {
    const u = await gw.upstream('busy');
    const port = await freePort();
    const stays = { key: 'shop/local/busy', port, backends: [backend(u)] };
    expect(await gw.hx.apply(gw.table([stays]))).toEqual([]);
    const l = load(port, 4);
    while (u.hits < 50) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 6; i++) {
      // A listener added, then removed: two reloads each.
      const other = { key: `shop/pr-${i}/web`, port: await freePort(), backends: [backend(u)] };
      expect(await gw.hx.apply(gw.table([stays, other]))).toEqual([]);
      await new Promise((r) => setTimeout(r, 20));
      expect(await gw.hx.apply(gw.table([stays]))).toEqual([]);
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await l.stop();
    expect(r.reasons.slice(0, 5)).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.ok).toBeGreaterThan(100);
  });
});
