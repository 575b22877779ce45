import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { connect, createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Listeners } from '../listeners.js';
import type { Backend, EdgeListener, RoutingTable, ServiceListener } from '../table.js';
import type { Echo, Upstream } from '../testing.js';
import { fetchText, freePort, startUpgradeEcho, startUpstream, tempHome, upgradeExchange } from '../testing.js';
import { HaproxyListeners } from './haproxyListeners.js';
import { AdminSocket } from './adminSocket.js';
import { devCa, devCertificate } from '../../runtime/local/devCa.js';
import { writeEdgeCertificates } from '../../runtime/local/edgeCertificates.js';

let home: { dir: string; remove(): Promise<void> };
let hx: HaproxyListeners;
let generation = 0;
const upstreams: Upstream[] = [];
const dir = (): string => join(home.dir, 'haproxy');

async function upstream(name: string, delayMs = 0): Promise<Upstream> {
  const u = await startUpstream(name, delayMs);
  upstreams.push(u);
  return u;
}
const backend = (u: Upstream, track?: 'canary'): Backend => ({
  id: u.name,
  host: '127.0.0.1',
  port: u.port,
  ...(track ? { track } : {}),
});
const table = (services: ServiceListener[], edges: EdgeListener[] = []): RoutingTable => ({
  generation: ++generation,
  services,
  edges,
});

async function get(
  port: number,
  path = '/',
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; echo?: Echo }> {
  const res = await fetchText(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: res.status, text: res.text, echo: res.status === 200 ? (JSON.parse(res.text) as Echo) : undefined };
}

/** Sends `data` on a fresh connection and returns all that comes back until the server closes; a reset fails. */
function rawExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => (out += d));
    sock.on('error', (err) => reject(new Error(`${err.message} after ${JSON.stringify(out.slice(0, 80))}`)));
    sock.on('close', () => resolve(out));
    sock.write(data);
  });
}

/** Keep-alive load over a few connections, in a bounded loop, until stopped. */
function load(
  port: number,
  connections = 4,
): { stop(): Promise<{ ok: number; failed: number; reasons: string[]; names: Set<string> }> } {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
  let running = true;
  const result = { ok: 0, failed: 0, reasons: [] as string[], names: new Set<string>() };
  const worker = async (): Promise<void> => {
    for (let i = 0; running && i < 100_000; i++) {
      try {
        const res = await pool.request({ path: '/load', method: 'GET' });
        const text = await res.body.text();
        if (res.statusCode === 200) {
          result.ok++;
          result.names.add((JSON.parse(text) as Echo).name);
        } else {
          result.failed++;
          result.reasons.push(`${res.statusCode} ${text.slice(0, 80)}`);
        }
      } catch (err) {
        result.failed++;
        result.reasons.push(String(err));
      }
    }
  };
  const workers = Array.from({ length: connections }, () => worker());
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      await pool.close();
      return result;
    },
  };
}

beforeAll(async () => {
  home = await tempHome();
  hx = new HaproxyListeners({ dir: dir(), removalWaitMs: 3_000, drainTimeoutMs: 2_000, statsIntervalMs: 50 });
});

afterAll(async () => {
  await hx?.close();
  await Promise.all(upstreams.map((u) => u.close()));
  await home?.remove();
});

afterEach(async () => {
  expect(await hx.apply(table([]))).toEqual([]);
});

describe('HAProxy data plane', () => {
  it('spreads a service over its replicas and reports counters per track', async () => {
    const [a, b] = await Promise.all([upstream('rr-a'), upstream('rr-b')]);
    const port = await freePort();
    expect(await hx.apply(table([{ key: 'shop/local/orders', port, backends: [backend(a), backend(b)] }]))).toEqual([]);
    const names: string[] = [];
    for (let i = 0; i < 6; i++) names.push((await get(port, `/o/${i}?x=1`, { host: 'orders.shop:9999' })).echo!.name);
    expect(names.filter((n) => n === 'rr-a')).toHaveLength(3);
    expect(names.filter((n) => n === 'rr-b')).toHaveLength(3);
    const echo = (await get(port, '/p?q=1', { host: 'orders.shop:9999' })).echo!;
    expect(echo.url).toBe('/p?q=1');
    expect(echo.headers.host).toBe('orders.shop:9999');
    expect(echo.headers['x-forwarded-host']).toBe('orders.shop:9999');
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echo.headers['x-forwarded-proto']).toBe('http');

    await new Promise((r) => setTimeout(r, 150)); // a counter poll
    const t = hx.traffic().find((s) => s.key === 'shop/local/orders')!;
    expect(t.tracks.find((x) => x.track === 'stable')!.requests).toBe(7);
    expect(hx.stats()).toContainEqual(expect.objectContaining({ kind: 'service', key: 'shop/local/orders', port }));
  });

  it('polls its counters one call at a time: a stalled HAProxy gets no pile of admin connections', async () => {
    const u = await upstream('poll');
    const port = await freePort();
    expect(await hx.apply(table([{ key: 'shop/local/poll', port, backends: [backend(u)] }]))).toEqual([]);
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const real = AdminSocket.prototype.stat;
    const spy = vi.spyOn(AdminSocket.prototype, 'stat').mockImplementation(async function (this: AdminSocket) {
      calls++;
      most = Math.max(most, ++inFlight);
      try {
        return await real.call(this);
      } finally {
        inFlight--;
      }
    });
    // HAProxy's master and worker stopped for 20 poll intervals: a poll's call waits for its answer.
    const pids = execFileSync('pgrep', ['-f', dir()]).toString().trim().split('\n').map(Number);
    expect(pids.length).toBeGreaterThan(0);
    try {
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    await new Promise((r) => setTimeout(r, 300));
    spy.mockRestore();
    expect(calls).toBeGreaterThan(0);
    expect(most).toBe(1);
    expect((await get(port)).status).toBe(200);
  });

  it('routes an edge exactly like the Node edge: host, wildcard host, longest prefix, strip, 404, 503', async () => {
    const [web, api, admin] = await Promise.all([upstream('e-web'), upstream('e-api'), upstream('e-admin')]);
    const services: ServiceListener[] = [
      { key: 'shop/local/web', port: await freePort(), backends: [backend(web)] },
      { key: 'shop/local/api', port: await freePort(), backends: [backend(api)] },
      { key: 'shop/local/admin', port: await freePort(), backends: [backend(admin)] },
      { key: 'shop/local/empty', port: await freePort(), backends: [] },
    ];
    const routes = [
      { pathPrefix: '/', target: 'shop/local/web', stripPrefix: false },
      { pathPrefix: '/api/', target: 'shop/local/api', stripPrefix: true },
      { pathPrefix: '/api/v2', target: 'shop/local/admin', stripPrefix: false },
      { host: 'Admin.Shop', pathPrefix: '/', target: 'shop/local/admin', stripPrefix: true },
      { host: 'admin.shop', pathPrefix: '/x', target: 'shop/local/gone', stripPrefix: false },
      { pathPrefix: '/empty', target: 'shop/local/empty', stripPrefix: false },
      { host: '*.shop', pathPrefix: '/', target: 'shop/local/api', stripPrefix: false },
      { host: '*.eu.shop', pathPrefix: '/', target: 'shop/local/web', stripPrefix: false },
    ];
    const hxEdge = await freePort();
    expect(await hx.apply(table(services, [{ key: 'shop/local', port: hxEdge, routes }]))).toEqual([]);
    // The same table on Node listeners, on other ports: every answer must match.
    const nodeEdge = await freePort();
    const node = new Listeners({ drainTimeoutMs: 1_000 });
    try {
      const nodeServices = await Promise.all(services.map(async (s) => ({ ...s, port: await freePort() })));
      expect(await node.apply(table(nodeServices, [{ key: 'shop/local', port: nodeEdge, routes }]))).toEqual([]);
      const cases: [string, Record<string, string>][] = [
        ['/', {}],
        ['/index.html?a=1', {}],
        ['/api', {}],
        ['/api?q=1', {}],
        ['/api/items/7?q=1', {}],
        ['/apix', {}],
        ['/api/v2', {}],
        ['/api/v2/z', {}],
        ['/api/v20', {}],
        ['/empty', {}],
        ['/', { host: 'ADMIN.shop:8080' }],
        ['/x/1', { host: 'admin.shop' }],
        ['/deep/path', { host: 'admin.shop' }],
        ['/', { host: 'other.shop' }],
        ['/', { host: 'shop' }],
        ['/a', { host: 'x.eu.shop:81' }],
        ['/', { host: 'a.b.eu.shop' }],
        ['/', { host: 'a.b.c.shop' }],
        ['/', { host: 'xshop' }],
      ];
      for (const [path, headers] of cases) {
        const [h, n] = [await get(hxEdge, path, headers), await get(nodeEdge, path, headers)];
        const what = `${headers.host ?? ''}${path}`;
        expect(h.status, what).toBe(n.status);
        if (n.echo) {
          expect(h.echo!.name, what).toBe(n.echo.name);
          expect(h.echo!.url, what).toBe(n.echo.url);
          // Without a Host given, each carries its own port.
          expect(h.echo!.headers['x-forwarded-host'], what).toBe(headers.host ?? `127.0.0.1:${hxEdge}`);
          expect(n.echo.headers['x-forwarded-host'], what).toBe(headers.host ?? `127.0.0.1:${nodeEdge}`);
        } else {
          expect(h.text, what).toBe(n.text);
        }
      }
      // Wildcard hosts match one label on both planes; the exact host and the longer wildcard win.
      for (const p of [hxEdge, nodeEdge]) {
        expect((await get(p, '/w', { host: 'a.shop' })).echo?.name).toBe('e-api');
        expect((await get(p, '/w', { host: 'admin.shop' })).echo?.name).toBe('e-admin');
        expect((await get(p, '/w', { host: 'x.eu.shop' })).echo?.name).toBe('e-web');
        expect((await get(p, '/w', { host: 'a.b.c.shop' })).echo?.url).toBe('/w');
        expect((await get(p, '/api/w', { host: 'a.b.c.shop' })).echo?.url).toBe('/w');
      }
      // Without any route matching: the Node edge's 404 text.
      const onlyHost = await freePort();
      expect(
        await hx.apply(
          table(services, [
            {
              key: 'shop/other',
              port: onlyHost,
              routes: [{ host: 'a.b', pathPrefix: '/', target: 'shop/local/web', stripPrefix: false }],
            },
          ]),
        ),
      ).toEqual([]);
      expect(await get(onlyHost, '/')).toMatchObject({
        status: 404,
        text: 'no route of shop/other matches this request\n',
      });
    } finally {
      await node.close();
    }
  });

  it('answers an over-long URL 414 and oversized headers 431 on both planes, not a reset', async () => {
    const web = await upstream('big-web');
    const services: ServiceListener[] = [{ key: 'shop/local/web', port: await freePort(), backends: [backend(web)] }];
    const routes = [{ pathPrefix: '/', target: 'shop/local/web', stripPrefix: false }];
    const [hxEdge, nodeEdge] = [await freePort(), await freePort()];
    expect(await hx.apply(table(services, [{ key: 'shop/local', port: hxEdge, routes }]))).toEqual([]);
    const node = new Listeners({ drainTimeoutMs: 1_000 });
    try {
      const nodeServices = [{ ...services[0]!, port: await freePort() }];
      expect(await node.apply(table(nodeServices, [{ key: 'shop/local', port: nodeEdge, routes }]))).toEqual([]);
      const head = (target: string, headers: string): string =>
        `GET ${target} HTTP/1.1\r\nhost: shop\r\n${headers}\r\n`;
      for (const port of [hxEdge, nodeEdge, services[0]!.port, nodeServices[0]!.port]) {
        const what = `port ${port === hxEdge || port === services[0]!.port ? 'haproxy' : 'node'} ${port}`;
        const longUrl = await rawExchange(port, head(`/${'a'.repeat(9_000)}`, ''));
        expect(longUrl, what).toMatch(/^HTTP\/1\.1 414 [^\r]*\r\n[\s\S]*request target longer than 8192 bytes\n$/);
        const bigHeader = await rawExchange(port, head('/', `x-big: ${'b'.repeat(20_000)}\r\n`));
        expect(bigHeader, what).toMatch(
          /^HTTP\/1\.1 431 [^\r]*\r\n[\s\S]*request header fields larger than 16384 bytes\n$/,
        );
        const manyHeaders = await rawExchange(
          port,
          head('/', Array.from({ length: 400 }, (_, i) => `x-h${i}: ${'c'.repeat(60)}\r\n`).join('')),
        );
        expect(manyHeaders, what).toMatch(/^HTTP\/1\.1 431 /);
        // Within the limits: served.
        const fine = await rawExchange(port, head('/ok', `x-fine: ${'d'.repeat(8_000)}\r\nconnection: close\r\n`));
        expect(fine, what).toMatch(/^HTTP\/1\.1 200 /);
      }
      // Beyond what the Node parser takes at all: still an answer, not a reset.
      expect(await rawExchange(nodeEdge, head('/', `x-big: ${'e'.repeat(70_000)}\r\n`))).toMatch(/^HTTP\/1\.1 431 /);
    } finally {
      await node.close();
    }
  });

  it('serves HTTPS natively: certificate by SNI (exact, wildcard, default), 308 redirect, X-Forwarded-Proto https', async () => {
    const web = await upstream('tls-hx-web');
    const shop = await devCertificate(home.dir, ['shop.local']);
    const api = await devCertificate(home.dir, ['*.api.local']);
    const ca = readFileSync((await devCa(home.dir)).certFile);
    const certificates = writeEdgeCertificates(join(home.dir, 'certs'), [
      { hosts: ['shop.local'], ...shop },
      { hosts: ['*.api.local'], ...api },
    ]);
    const services: ServiceListener[] = [{ key: 'shop/local/web', port: await freePort(), backends: [backend(web)] }];
    const [edge, tlsPort] = [await freePort(), await freePort()];
    const routes = [{ pathPrefix: '/', target: 'shop/local/web', stripPrefix: false }];
    expect(
      await hx.apply(
        table(services, [
          { key: 'shop/local', port: edge, routes, tls: { port: tlsPort, redirect: true, certificates } },
        ]),
      ),
    ).toEqual([]);
    const httpsGet = (servername: string | undefined): Promise<{ status: number; body: string; names?: string }> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: tlsPort,
            path: '/p?q=1',
            ca,
            agent: false,
            headers: { host: servername ?? 'other' },
            ...(servername === undefined ? { checkServerIdentity: () => undefined } : { servername }),
          },
          (res) => {
            const names = (res.socket as TLSSocket).getPeerCertificate().subjectaltname;
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode!, body, names }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const exact = await httpsGet('shop.local');
    expect(exact.names).toBe('DNS:shop.local, IP Address:127.0.0.1');
    expect(exact.status).toBe(200);
    const echo = JSON.parse(exact.body) as Echo;
    expect(echo.url).toBe('/p?q=1');
    expect(echo.headers['x-forwarded-proto']).toBe('https');
    expect((await httpsGet('x.api.local')).names).toBe('DNS:*.api.local, IP Address:127.0.0.1');
    expect((await httpsGet(undefined)).names).toBe('DNS:shop.local, IP Address:127.0.0.1');
    const plain = await fetchText(`http://127.0.0.1:${edge}/cart?id=7`, {
      headers: { host: `Shop.Local:${edge}` },
    });
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://shop.local:${tlsPort}/cart?id=7`);
  });

  it('resolves a removal only after the replica finished its in-flight request, which gets its full answer', async () => {
    const [slow, fresh] = await Promise.all([upstream('slow', 800), upstream('fresh')]);
    const port = await freePort();
    await hx.apply(table([{ key: 'shop/local/slow', port, backends: [backend(slow)] }]));
    const inFlight = get(port, '/slow');
    while (slow.received === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await hx.apply(table([{ key: 'shop/local/slow', port, backends: [backend(fresh)] }]));
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
    let current = [await upstream('gen0-a'), await upstream('gen0-b')];
    await hx.apply(table([{ key: 'shop/local/roll', port, backends: current.map((u) => backend(u)) }]));
    const l = load(port);
    for (let i = 1; i <= 12; i++) {
      const next = await upstream(`gen${i}-${i % 2 ? 'a' : 'b'}`, 2);
      // Surge one, then drop one, as a rolling update does; the dropped replica is closed right after.
      await hx.apply(table([{ key: 'shop/local/roll', port, backends: [...current, next].map((u) => backend(u)) }]));
      const gone = current.shift()!;
      current = [...current, next];
      await hx.apply(table([{ key: 'shop/local/roll', port, backends: current.map((u) => backend(u)) }]));
      await gone.close();
      await new Promise((r) => setTimeout(r, 30));
    }
    const r = await l.stop();
    expect(r.reasons).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.ok).toBeGreaterThan(200);
    expect(r.names.has('gen12-b')).toBe(true);
    expect(hx.pid()).toBeDefined();
  });

  it('switches a service to a canary split (Node behind HAProxy) and back without failing a request', async () => {
    const [stable, canary] = await Promise.all([upstream('split-stable'), upstream('split-canary')]);
    const port = await freePort();
    const backends = [backend(stable), backend(canary, 'canary')];
    const svc = (split?: ServiceListener['split']): ServiceListener => ({
      key: 'shop/local/split',
      port,
      backends,
      ...(split ? { split } : {}),
    });
    await hx.apply(table([svc()]));
    const pid = hx.pid();
    const l = load(port);
    await new Promise((r) => setTimeout(r, 150));
    await hx.apply(table([svc({ canaryWeight: 50 })]));
    await new Promise((r) => setTimeout(r, 300));
    const during = canary.hits;
    await hx.apply(table([svc()]));
    await new Promise((r) => setTimeout(r, 150));
    const r = await l.stop();
    expect(r.reasons).toEqual([]);
    expect(r.failed).toBe(0);
    expect(during).toBeGreaterThan(10); // the split reached the canary
    const after = canary.hits;
    for (let i = 0; i < 5; i++) expect((await get(port)).echo!.name).toBe('split-stable');
    expect(canary.hits).toBe(after);
    expect(hx.pid()).toBe(pid); // same HAProxy master throughout
  });

  it('grows a backend past its slots with a reload that keeps every replica, and serves all of them', async () => {
    const port = await freePort();
    const ups = await Promise.all(Array.from({ length: 10 }, (_, i) => upstream(`grow-${i}`)));
    await hx.apply(table([{ key: 'shop/local/grow', port, backends: ups.slice(0, 2).map((u) => backend(u)) }]));
    const l = load(port, 2);
    await hx.apply(table([{ key: 'shop/local/grow', port, backends: ups.map((u) => backend(u)) }]));
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
    const u = await upstream('taken-ok');
    const ok = await freePort();
    const t = (): RoutingTable =>
      table([
        { key: 'shop/local/blocked', port: taken, backends: [backend(u)] },
        { key: 'shop/local/fine', port: ok, backends: [backend(u)] },
      ]);
    try {
      expect(await hx.apply(t())).toEqual([{ key: 'shop/local/blocked', port: taken, message: 'EADDRINUSE' }]);
      expect((await get(ok)).status).toBe(200);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    expect(await hx.apply(t())).toEqual([]);
    expect((await get(taken)).echo!.name).toBe('taken-ok');
  });

  it('passes WebSocket-style upgrades through the service address and the edge (prefix stripped)', async () => {
    const echo = await startUpgradeEcho();
    const ws: Backend = { id: 'ws', host: '127.0.0.1', port: echo.port };
    const [port, edge] = [await freePort(), await freePort()];
    try {
      expect(
        await hx.apply(
          table(
            [{ key: 'shop/local/ws', port, backends: [ws] }],
            [
              {
                key: 'shop/local',
                port: edge,
                routes: [{ pathPrefix: '/live', target: 'shop/local/ws', stripPrefix: true }],
              },
            ],
          ),
        ),
      ).toEqual([]);
      const direct = await upgradeExchange(port, '/chat');
      expect(direct).toMatch(/^HTTP\/1.1 101/);
      expect(direct).toContain('x-path: /chat');
      const viaEdge = await upgradeExchange(edge, '/live/chat');
      expect(viaEdge).toMatch(/^HTTP\/1.1 101/);
      expect(viaEdge).toContain('x-path: /chat');
    } finally {
      echo.close();
    }
  });

  it('a new gateway adopts the running HAProxy: same process, serving throughout', async () => {
    const u = await upstream('adopted');
    const port = await freePort();
    const t = table([{ key: 'shop/local/adopt', port, backends: [backend(u)] }]);
    await hx.apply(t);
    const pid = hx.pid();
    const l = load(port, 2);
    await hx.close({ keepHaproxy: true });
    hx = new HaproxyListeners({ dir: dir(), removalWaitMs: 3_000, drainTimeoutMs: 2_000, statsIntervalMs: 50 });
    expect(hx.pid()).toBe(pid);
    expect(await hx.apply(t)).toEqual([]);
    expect(hx.pid()).toBe(pid);
    const r = await l.stop();
    expect(r.failed).toBe(0);
    expect(r.ok).toBeGreaterThan(10);
  });
});
