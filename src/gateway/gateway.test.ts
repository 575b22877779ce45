import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from './server.js';
import type { Backend, RoutingTable } from './table.js';
import type { Echo, Upstream } from './testing.js';
import type { TestGateway } from './testing.js';
import { fetchText, freePort, refusingPort, startTestGateway, startUpgradeEcho, upgradeExchange } from './testing.js';

let t: TestGateway;
let gw: Gateway;
let token: string;
const upstream = (name: string, delayMs = 0, status = 200): Promise<Upstream> => t.upstream(name, delayMs, status);

const backend = (u: Upstream): Backend => ({ id: u.name, host: '127.0.0.1', port: u.port });
const put = (table: Omit<RoutingTable, 'generation'>, auth?: string) => t.put(table, auth);
const apply = (table: Omit<RoutingTable, 'generation'>): Promise<void> => t.apply(table);

async function get(
  port: number,
  path = '/',
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; echo?: Echo }> {
  const res = await fetchText(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: res.status, text: res.text, echo: res.status === 200 ? (JSON.parse(res.text) as Echo) : undefined };
}

beforeAll(async () => {
  t = await startTestGateway({ drainTimeoutMs: 2_000 });
  ({ gateway: gw, token } = t);
});

afterAll(async () => {
  await t?.close();
});

afterEach(async () => {
  await apply({ services: [], edges: [] });
});

describe('service listeners', () => {
  it('round-robins over three backends, preserving Host and setting forwarding headers', async () => {
    const [a, b, c] = await Promise.all([upstream('rr-a'), upstream('rr-b'), upstream('rr-c')]);
    const port = await freePort();
    await apply({ services: [{ key: 'shop/local/orders', port, backends: [a, b, c].map(backend) }], edges: [] });

    const seen: string[] = [];
    for (let i = 0; i < 9; i++) seen.push((await get(port, `/orders/${i}?x=1`)).echo!.name);
    expect(seen.slice(0, 3).sort()).toEqual(['rr-a', 'rr-b', 'rr-c']);
    expect(seen.filter((n) => n === 'rr-a')).toHaveLength(3);
    expect(seen.filter((n) => n === 'rr-b')).toHaveLength(3);

    // node:http sends a Connection header as given (undici's client would drop its tokens).
    const echo = await new Promise<Echo>((resolve, reject) => {
      const req = httpRequest(
        {
          port,
          host: '127.0.0.1',
          path: '/p?q=1',
          headers: { host: 'orders.shop:9999', connection: 'keep-alive, x-hop', 'x-hop': 'secret', 'x-kept': 'yes' },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(JSON.parse(text) as Echo));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const r = { echo };
    expect(r.echo!.url).toBe('/p?q=1');
    expect(r.echo!.headers.host).toBe('orders.shop:9999');
    expect(r.echo!.headers['x-forwarded-host']).toBe('orders.shop:9999');
    expect(r.echo!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(r.echo!.headers['x-forwarded-proto']).toBe('http');
    expect(r.echo!.headers['x-hop']).toBeUndefined();
    expect(r.echo!.headers['x-kept']).toBe('yes');

    const stats = (
      await fetchText(`http://127.0.0.1:${gw.controlPort}/stats`, { headers: { authorization: `Bearer ${token}` } })
    ).text;
    const listener = (
      JSON.parse(stats) as {
        listeners: {
          key: string;
          requests: number;
          errors: number;
          inFlight: number;
          backends: Record<string, number>;
        }[];
      }
    ).listeners.find((l) => l.key === 'shop/local/orders')!;
    expect(listener).toMatchObject({ requests: 10, errors: 0, inFlight: 0 });
    expect(listener.backends['rr-a']! + listener.backends['rr-b']! + listener.backends['rr-c']!).toBe(10);
  });

  it('answers 503 naming the service when it has no ready backend', async () => {
    const port = await freePort();
    await apply({ services: [{ key: 'shop/local/orders', port, backends: [] }], edges: [] });
    const r = await get(port, '/');
    expect(r.status).toBe(503);
    expect(r.text).toContain('no ready replicas for shop/local/orders');
  });

  it('streams request and response bodies and passes response headers through', async () => {
    const a = await upstream('body');
    const port = await freePort();
    await apply({ services: [{ key: 'shop/local/body', port, backends: [backend(a)] }], edges: [] });
    const payload = 'x'.repeat(200_000);
    const res = await fetchText(`http://127.0.0.1:${port}/upload`, {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('body');
    const echo = JSON.parse(res.text) as Echo;
    expect(echo.method).toBe('POST');
    expect(echo.body).toBe(payload);
  });

  it('retries an idempotent request on another backend when one refuses connections, but not a POST', async () => {
    const live = await upstream('live');
    const deadPort = await refusingPort();
    const port = await freePort();
    await apply({
      services: [
        { key: 'shop/local/retry', port, backends: [{ id: 'dead', host: '127.0.0.1', port: deadPort }, backend(live)] },
      ],
      edges: [],
    });
    for (let i = 0; i < 6; i++) expect((await get(port, '/')).status).toBe(200);
    const posts = await Promise.all(
      [0, 1].map(() => fetchText(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' })),
    );
    expect(posts.map((p) => p.status).sort()).toEqual([200, 502]);
  });

  it('moves a listener to a new port and closes the old one', async () => {
    const a = await upstream('mover');
    const [p1, p2] = [await freePort(), await freePort()];
    await apply({ services: [{ key: 'shop/local/mover', port: p1, backends: [backend(a)] }], edges: [] });
    expect((await get(p1)).status).toBe(200);
    await apply({ services: [{ key: 'shop/local/mover', port: p2, backends: [backend(a)] }], edges: [] });
    expect((await get(p2)).status).toBe(200);
    await expect(get(p1)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('passes WebSocket-style upgrades through', async () => {
    const echo = await startUpgradeEcho();
    const port = await freePort();
    try {
      await apply({
        services: [{ key: 'shop/local/ws', port, backends: [{ id: 'ws', host: '127.0.0.1', port: echo.port }] }],
        edges: [],
      });
      const got = await upgradeExchange(port, '/chat');
      expect(got).toMatch(/^HTTP\/1.1 101/);
      expect(got).toContain('x-path: /chat');
    } finally {
      echo.close();
    }
  });

  it('aborts the upstream request when the client goes away, and counts it out of flight', async () => {
    // An upstream that never answers: only the gateway giving up on it ends its request.
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    const server = createServer((req) => req.socket.once('close', upstreamClosed));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = await freePort();
    try {
      await apply({
        services: [
          {
            key: 'shop/local/hang',
            port,
            backends: [{ id: 'hang', host: '127.0.0.1', port: (server.address() as AddressInfo).port }],
          },
        ],
        edges: [],
      });
      const stats = async (): Promise<{ requests: number; inFlight: number }> => {
        const text = (
          await fetchText(`http://127.0.0.1:${gw.controlPort}/stats`, { headers: { authorization: `Bearer ${token}` } })
        ).text;
        return (
          JSON.parse(text) as { listeners: { key: string; requests: number; inFlight: number }[] }
        ).listeners.find((l) => l.key === 'shop/local/hang')!;
      };
      const sock = connect(port, '127.0.0.1');
      sock.write('GET /slow HTTP/1.1\r\nhost: x\r\n\r\n');
      for (let i = 0; i < 100 && (await stats()).inFlight === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await stats()).toMatchObject({ requests: 1, inFlight: 1 });
      sock.destroy();
      await Promise.race([
        closed,
        new Promise((_, reject) => setTimeout(() => reject(new Error('upstream request was not aborted')), 3_000)),
      ]);
      expect(await stats()).toMatchObject({ requests: 1, inFlight: 0 });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('edge listeners', () => {
  it('routes by host, longest prefix and strips prefixes; 404 without a route; 503 without replicas', async () => {
    const [web, api, admin] = await Promise.all([upstream('web'), upstream('api'), upstream('admin')]);
    const [pWeb, pApi, pAdmin, pEmpty, edge] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    await apply({
      services: [
        { key: 'shop/local/web', port: pWeb, backends: [backend(web)] },
        { key: 'shop/local/api', port: pApi, backends: [backend(api)] },
        { key: 'shop/local/admin', port: pAdmin, backends: [backend(admin)] },
        { key: 'shop/local/empty', port: pEmpty, backends: [] },
      ],
      edges: [
        {
          key: 'shop/local',
          port: edge,
          routes: [
            { pathPrefix: '/', target: 'shop/local/web', stripPrefix: false },
            { pathPrefix: '/api', target: 'shop/local/api', stripPrefix: true },
            { pathPrefix: '/api/v2', target: 'shop/local/admin', stripPrefix: false },
            { host: 'admin.shop', pathPrefix: '/', target: 'shop/local/admin', stripPrefix: false },
            { host: '*.shop.local', pathPrefix: '/w', target: 'shop/local/admin', stripPrefix: true },
            { pathPrefix: '/empty', target: 'shop/local/empty', stripPrefix: false },
          ],
        },
        {
          key: 'shop/other',
          port: await freePort(),
          routes: [{ pathPrefix: '/only', target: 'shop/local/web', stripPrefix: false }],
        },
      ],
    });
    const hit = async (path: string, host = 'shop.local'): Promise<[string, string]> => {
      const r = await get(edge, path, { host });
      return [r.echo?.name ?? String(r.status), r.echo?.url ?? r.text];
    };
    expect(await hit('/')).toEqual(['web', '/']);
    expect(await hit('/apix')).toEqual(['web', '/apix']);
    expect(await hit('/api')).toEqual(['api', '/']);
    expect(await hit('/api/users?id=3')).toEqual(['api', '/users?id=3']);
    expect(await hit('/api/v2/x')).toEqual(['admin', '/api/v2/x']);
    expect(await hit('/api/x', 'ADMIN.shop:8080')).toEqual(['admin', '/api/x']);
    expect(await hit('/w/x', 'a.shop.local')).toEqual(['admin', '/x']);
    expect(await hit('/w/x', 'A.Shop.Local:8080')).toEqual(['admin', '/x']);
    expect(await hit('/w/x', 'shop.local')).toEqual(['web', '/w/x']);
    expect(await hit('/w/x', 'a.b.shop.local')).toEqual(['web', '/w/x']);
    const empty = await get(edge, '/empty/1');
    expect(empty.status).toBe(503);
    expect(empty.text).toContain('no ready replicas for shop/local/empty');

    const table = JSON.parse(
      (await fetchText(`http://127.0.0.1:${gw.controlPort}/table`, { headers: { authorization: `Bearer ${token}` } }))
        .text,
    ) as RoutingTable;
    const other = await get(table.edges[1]!.port, '/nothing');
    expect(other.status).toBe(404);
    expect(other.text).toContain('no route');
  });
});

describe('backend changes under load', () => {
  it('loses no request while backends are swapped repeatedly', async () => {
    const port = await freePort();
    let current = await upstream('gen-0', 1);
    await apply({ services: [{ key: 'shop/local/swap', port, backends: [backend(current)] }], edges: [] });

    const client = new Pool(`http://127.0.0.1:${port}`, { connections: 8, pipelining: 1 });
    const total = 2_000;
    let sent = 0;
    let ok = 0;
    const failures: string[] = [];
    const names = new Set<string>();
    // Half the workers POST: a POST is never retried, so a request cut by a backend change shows up as a failure.
    const worker = async (_: unknown, n: number): Promise<void> => {
      while (sent < total) {
        sent++;
        try {
          const res = await client.request(
            n % 2 === 0 ? { path: '/', method: 'GET' } : { path: '/', method: 'POST', body: 'order' },
          );
          const text = await res.body.text();
          if (res.statusCode === 200) {
            ok++;
            names.add((JSON.parse(text) as Echo).name);
          } else failures.push(`${res.statusCode} ${text}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));

    let swaps = 0;
    while (sent < total * 0.9 && swaps < 15) {
      const next = await upstream(`gen-${swaps + 1}`, 1);
      await apply({
        services: [{ key: 'shop/local/swap', port, backends: [backend(current), backend(next)] }],
        edges: [],
      });
      await new Promise((r) => setTimeout(r, 20));
      await apply({ services: [{ key: 'shop/local/swap', port, backends: [backend(next)] }], edges: [] });
      await current.close();
      current = next;
      swaps++;
    }
    await load;
    await client.close();
    expect(failures).toEqual([]);
    expect(ok).toBe(total);
    expect(swaps).toBeGreaterThanOrEqual(3);
    expect(names.size).toBeGreaterThanOrEqual(3);
  });
});

describe('control API', () => {
  it('rejects a missing or wrong token with 401', async () => {
    const url = `http://127.0.0.1:${gw.controlPort}`;
    expect((await fetchText(`${url}/healthz`)).status).toBe(200);
    expect((await fetchText(`${url}/stats`)).status).toBe(401);
    expect((await fetchText(`${url}/table`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const res = await put({ services: [], edges: [] }, 'Bearer wrong');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHORIZED');
  });

  it('rejects bad tables with 400 listing every problem with its field path', async () => {
    const res = await fetchText(`http://127.0.0.1:${gw.controlPort}/table`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({
        generation: 'x',
        services: [{ key: 'no-slashes', port: 70000, backends: [{ id: '', host: '127.0.0.1', port: 1 }] }],
        edges: [{ key: 'a/b', port: 1, routes: [{ pathPrefix: 'api', target: 'a/b/c' }] }],
      }),
    });
    expect(res.status).toBe(400);
    const body = JSON.parse(res.text) as { code: string; problems: { path: string }[] };
    expect(body.code).toBe('VALIDATION');
    expect(body.problems.map((p) => p.path).sort()).toEqual(
      [
        'edges.0.routes.0.pathPrefix',
        'edges.0.routes.0.stripPrefix',
        'generation',
        'services.0.backends.0.id',
        'services.0.key',
        'services.0.port',
      ].sort(),
    );

    const dup = await put({
      services: [{ key: 'a/b/c', port: 5000, backends: [] }],
      edges: [{ key: 'a/b', port: 5000, routes: [] }],
    });
    expect(dup.status).toBe(400);
    expect(JSON.stringify(dup.body)).toContain('edges.0.port');

    const notJson = await fetchText(`http://127.0.0.1:${gw.controlPort}/table`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: '{',
    });
    expect(notJson.status).toBe(400);
  });

  it('refuses a table older than the one it serves', async () => {
    const res = await fetchText(`http://127.0.0.1:${gw.controlPort}/table`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ generation: 0, services: [], edges: [] }),
    });
    expect(res.status).toBe(409);
  });

  it('reports a port that cannot be bound and keeps the other listeners working', async () => {
    const a = await upstream('port-ok');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as AddressInfo).port;
    const okPort = await freePort();
    const table = {
      services: [
        { key: 'shop/local/blocked', port: taken, backends: [backend(a)] },
        { key: 'shop/local/fine', port: okPort, backends: [backend(a)] },
      ],
      edges: [],
    };
    const res = await put(table);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      generation: t.generation(),
      errors: [{ key: 'shop/local/blocked', port: taken, message: 'EADDRINUSE' }],
    });
    expect((await get(okPort)).status).toBe(200);

    // Once the port is free, the next table binds it.
    await new Promise<void>((r) => blocker.close(() => r()));
    await apply(table);
    expect((await get(taken)).echo!.name).toBe('port-ok');
  });
});
