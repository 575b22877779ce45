/**
 * The behaviour both data planes share (DataPlaneListeners), run against the Node listeners and
 * against HAProxy: HTTP balance over a service's backends swapped in place, an edge's routes, L4
 * connections, listening and closing, a listener moved to another port, a port that cannot be bound,
 * counters, and close. Each test gets a fresh data plane.
 */
import { get as httpGet } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataPlaneListeners } from './dataPlane.js';
import { HaproxyListeners } from './haproxy/haproxyListeners.js';
import { Listeners } from './listeners.js';
import type { Backend, RoutingTable, ServiceListener, TcpListener } from './table.js';
import { client, echo } from './tcpTesting.js';
import type { Echo, Upstream } from './testing.js';
import { freePort, startUpstream, tempHome } from './testing.js';

/** Registers the shared tests of a data plane made by `make` in the temp directory `dir`. */
function dataPlaneConformance(name: string, make: (dir: string) => DataPlaneListeners): void {
  describe(`data plane conformance: ${name}`, () => {
    let home: { dir: string; remove(): Promise<void> };
    let plane: DataPlaneListeners;
    let closed = false;
    let generation = 0;
    const cleanups: (() => Promise<void> | void)[] = [];
    const table = (services: ServiceListener[], more: Partial<Omit<RoutingTable, 'generation'>> = {}) => ({
      generation: ++generation,
      services,
      edges: [],
      ...more,
    });
    const upstream = async (id: string): Promise<Upstream> => {
      const u = await startUpstream(id);
      cleanups.push(() => u.close());
      return u;
    };
    const backend = (u: Upstream): Backend => ({ id: u.name, host: '127.0.0.1', port: u.port });
    /** GET on a new connection each time: each read sees the table as a new client would. */
    const get = (port: number, path = '/', headers: Record<string, string> = {}) =>
      new Promise<{ status: number; text: string; echo?: Echo }>((resolve, reject) => {
        const req = httpGet({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              text,
              echo: res.statusCode === 200 ? (JSON.parse(text) as Echo) : undefined,
            }),
          );
        });
        req.on('error', reject);
      });
    /** Whether a new connection to `port` is refused (nothing listens). */
    const refused = (port: number): Promise<boolean> =>
      new Promise((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
      });
    const eventually = async (fn: () => boolean | Promise<boolean>, what: string): Promise<void> => {
      const deadline = Date.now() + 5_000;
      while (!(await fn())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };

    beforeEach(async () => {
      home = await tempHome();
      plane = make(home.dir);
      closed = false;
    });
    afterEach(async () => {
      if (!closed) await plane.close();
      for (const c of cleanups.splice(0)) await c();
      await home.remove();
    });

    it('balances HTTP requests over a service backends and swaps them in place', async () => {
      const [a, b] = await Promise.all([upstream('a'), upstream('b')]);
      const port = await freePort();
      const key = 'shop/local/orders';
      expect(await plane.apply(table([{ key, port, backends: [backend(a), backend(b)] }]))).toEqual([]);
      const names: string[] = [];
      for (let i = 0; i < 6; i++) names.push((await get(port, `/o/${i}?x=1`)).echo!.name);
      expect(names.sort()).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
      expect((await get(port, '/p?q=1', { host: 'orders.shop' })).echo).toMatchObject({
        url: '/p?q=1',
        headers: { host: 'orders.shop', 'x-forwarded-proto': 'http' },
      });

      expect(await plane.apply(table([{ key, port, backends: [backend(b)] }]))).toEqual([]);
      const after = new Set<string>();
      for (let i = 0; i < 4; i++) after.add((await get(port)).echo!.name);
      expect(after).toEqual(new Set(['b']));

      expect(await plane.apply(table([{ key, port, backends: [] }]))).toEqual([]);
      expect((await get(port)).status).toBe(503);
    });

    it('routes an edge by host and longest prefix, strips a prefix, answers 404 and 503 as the Node edge does', async () => {
      const [web, api] = await Promise.all([upstream('web'), upstream('api')]);
      const services: ServiceListener[] = [
        { key: 'shop/local/web', port: await freePort(), backends: [backend(web)] },
        { key: 'shop/local/api', port: await freePort(), backends: [backend(api)] },
        { key: 'shop/local/empty', port: await freePort(), backends: [] },
      ];
      const edge = await freePort();
      const routes = [
        { host: 'shop.example', pathPrefix: '/', target: 'shop/local/web', stripPrefix: false },
        { host: 'shop.example', pathPrefix: '/api', target: 'shop/local/api', stripPrefix: true },
        { host: 'shop.example', pathPrefix: '/empty', target: 'shop/local/empty', stripPrefix: false },
      ];
      expect(await plane.apply(table(services, { edges: [{ key: 'shop/local', port: edge, routes }] }))).toEqual([]);
      const host = { host: 'shop.example' };
      expect((await get(edge, '/cart', host)).echo).toMatchObject({ name: 'web', url: '/cart' });
      expect((await get(edge, '/api/items/7?q=1', host)).echo).toMatchObject({ name: 'api', url: '/items/7?q=1' });
      expect(await get(edge, '/', { host: 'other.example' })).toMatchObject({
        status: 404,
        text: 'no route of shop/local matches this request\n',
      });
      expect(await get(edge, '/empty', host)).toMatchObject({
        status: 503,
        text: 'no ready replicas for shop/local/empty\n',
      });

      // Routes change in place: /api goes to web as it is.
      const fewer = { key: 'shop/local', port: edge, routes: routes.slice(0, 1) };
      expect(await plane.apply(table(services, { edges: [fewer] }))).toEqual([]);
      expect((await get(edge, '/api/items/7', host)).echo).toMatchObject({ name: 'web', url: '/api/items/7' });
    });

    it('pipes L4 connections to the backends of a TCP listener and swaps them for new connections', async () => {
      const [a, b] = await Promise.all([echo('a'), echo('b')]);
      cleanups.push(() => {
        for (const s of [a, b]) {
          for (const c of s.open) c.destroy();
          s.server.close();
        }
      });
      const port = await freePort();
      const tcp = (on: (typeof a)[]): TcpListener[] => [
        {
          key: 'shop/local/redis',
          name: 'redis',
          port,
          graceMs: 5_000,
          backends: on.map((s) => ({ id: s.name, host: '127.0.0.1', port: s.port })),
        },
      ];
      expect(await plane.apply(table([], { tcp: tcp([a]) }))).toEqual([]);
      const first = await client(port);
      expect(await first.ask('1')).toBe('a:1');
      expect(await first.ask('2')).toBe('a:2');

      expect(await plane.apply(table([], { tcp: tcp([b]) }))).toEqual([]);
      const second = await client(port);
      expect(await second.ask('3')).toBe('b:3');
      first.s.destroy();
      second.s.destroy();
      expect(plane.stats()).toContainEqual(expect.objectContaining({ kind: 'tcp', port }));
    });

    it('names its counters by activity(): it settles while nothing moves, and a request or a connection moves it', async () => {
      const u = await upstream('act');
      const e = await echo('e');
      cleanups.push(() => {
        for (const c of e.open) c.destroy();
        e.server.close();
      });
      const [http, l4] = [await freePort(), await freePort()];
      const tcp: TcpListener = {
        key: 'shop/local/db',
        name: 'db',
        port: l4,
        graceMs: 1_000,
        backends: [{ id: 'e', host: '127.0.0.1', port: e.port }],
      };
      const services = [{ key: 'shop/local/web', port: http, backends: [backend(u)] }];
      expect(await plane.apply(table(services, { tcp: [tcp] }))).toEqual([]);
      const counted = (port: number): number => plane.stats().find((l) => l.port === port)?.requests ?? -1;
      // The same twice, 200 ms apart (HAProxy's counters are read again after an apply).
      const settled = async (): Promise<string> => {
        let last: string | undefined;
        await eventually(async () => {
          const now = plane.activity();
          if (now !== undefined && now === last) return true;
          last = now;
          await new Promise((r) => setTimeout(r, 200));
          return false;
        }, 'the activity to settle');
        return last!;
      };

      const idle = await settled();
      const requests = counted(http);
      expect((await get(http)).status).toBe(200);
      await eventually(() => counted(http) === requests + 1, 'the request counted');
      expect(plane.activity()).not.toBe(idle);

      // HAProxy's L4 frontends count no requests (their `requests` stay 0, a gap of that plane's
      // counters): only the Node plane's connection count moves here.
      if (name !== 'node') return;
      const served = await settled();
      const connections = counted(l4);
      const c = await client(l4);
      expect(await c.ask('x')).toBe('e:x');
      expect(counted(l4)).toBe(connections + 1);
      expect(plane.activity()).not.toBe(served);
      const open = plane.activity();
      c.s.destroy();
      await eventually(() => plane.activity() !== open, 'the closed connection to move the activity');
    });

    it('listens on new ports, moves a listener to another port and closes removed ones', async () => {
      const u = await upstream('moved');
      const key = 'shop/local/web';
      const [p1, p2] = [await freePort(), await freePort()];
      expect(await plane.apply(table([{ key, port: p1, backends: [backend(u)] }]))).toEqual([]);
      expect((await get(p1)).echo?.name).toBe('moved');

      expect(await plane.apply(table([{ key, port: p2, backends: [backend(u)] }]))).toEqual([]);
      expect((await get(p2)).echo?.name).toBe('moved');
      await eventually(() => refused(p1), `port ${p1} to close`);

      expect(await plane.apply(table([]))).toEqual([]);
      await eventually(() => refused(p2), `port ${p2} to close`);
    });

    it('reports a port it cannot bind, serves the others, and binds it once free', async () => {
      const taken = await freePort();
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
      const u = await upstream('fine');
      const ok = await freePort();
      const both = (): RoutingTable =>
        table([
          { key: 'shop/local/blocked', port: taken, backends: [backend(u)] },
          { key: 'shop/local/fine', port: ok, backends: [backend(u)] },
        ]);
      try {
        expect(await plane.apply(both())).toEqual([{ key: 'shop/local/blocked', port: taken, message: 'EADDRINUSE' }]);
        expect((await get(ok)).status).toBe(200);
      } finally {
        await new Promise((r) => blocker.close(r));
      }
      expect(await plane.apply(both())).toEqual([]);
      expect((await get(taken)).echo?.name).toBe('fine');
    });

    it('counts requests per service track and per listener', async () => {
      const u = await upstream('counted');
      const port = await freePort();
      const key = 'shop/local/counted';
      expect(await plane.apply(table([{ key, port, backends: [backend(u)] }]))).toEqual([]);
      for (let i = 0; i < 5; i++) expect((await get(port)).status).toBe(200);
      const stable = async () =>
        (await plane.traffic()).find((s) => s.key === key)?.tracks.find((t) => t.track === 'stable');
      await eventually(async () => (await stable())?.requests === 5, 'the stable track to count 5 requests');
      expect((await stable())?.errors).toBe(0);
      await eventually(
        async () =>
          (await plane.stats()).some(
            (l) => l.key === key && l.kind === 'service' && l.port === port && l.requests === 5,
          ),
        'the listener to count 5 requests',
      );
    });

    it('closes every listener on close', async () => {
      const u = await upstream('closing');
      const [http, l4] = [await freePort(), await freePort()];
      const tcp: TcpListener = { key: 'shop/local/db', name: 'db', port: l4, graceMs: 1_000, backends: [] };
      expect(
        await plane.apply(table([{ key: 'shop/local/web', port: http, backends: [backend(u)] }], { tcp: [tcp] })),
      ).toEqual([]);
      expect((await get(http)).status).toBe(200);
      expect(await refused(l4)).toBe(false);
      await plane.close();
      closed = true;
      expect(await refused(http)).toBe(true);
      expect(await refused(l4)).toBe(true);
    });
  });
}

dataPlaneConformance('node', () => new Listeners({ drainTimeoutMs: 1_000, removalWaitMs: 1_000 }));
dataPlaneConformance(
  'haproxy',
  (dir) =>
    new HaproxyListeners({
      dir: join(dir, 'haproxy'),
      drainTimeoutMs: 1_000,
      removalWaitMs: 1_000,
      statsIntervalMs: 50,
    }),
);
