/**
 * The HAProxy data plane serving: a service over its replicas with counters, the admin socket's
 * polling, an edge routed exactly like the Node edge, request-head limits, HTTPS by SNI, upgrades.
 * Its life across changes (removals, reloads, splits, a taken port, adoption) is haproxyLifecycle.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Listeners } from '../listeners.js';
import type { Backend, ServiceListener } from '../table.js';
import type { Echo } from '../testing.js';
import { fetchText, freePort, startUpgradeEcho, upgradeExchange } from '../testing.js';
import { AdminSocket } from './adminSocket.js';
import { devCa, devCertificate } from '../../runtime/local/devCa.js';
import { writeEdgeCertificates } from '../../runtime/local/edgeCertificates.js';
import { backend, get, rawExchange, useHaproxy } from './testdata/harness.js';

const gw = useHaproxy();

describe('HAProxy data plane', () => {
  it('spreads a service over its replicas and reports counters per track', async () => {
    const [a, b] = await Promise.all([gw.upstream('rr-a'), gw.upstream('rr-b')]);
    const port = await freePort();
    expect(
      await gw.hx.apply(gw.table([{ key: 'shop/local/orders', port, backends: [backend(a), backend(b)] }])),
    ).toEqual([]);
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
    const t = gw.hx.traffic().find((s) => s.key === 'shop/local/orders')!;
    expect(t.tracks.find((x) => x.track === 'stable')!.requests).toBe(7);
    expect(gw.hx.stats()).toContainEqual(expect.objectContaining({ kind: 'service', key: 'shop/local/orders', port }));
  });

  it('polls its counters one call at a time: a stalled HAProxy gets no pile of admin connections', async () => {
    const u = await gw.upstream('poll');
    const port = await freePort();
    expect(await gw.hx.apply(gw.table([{ key: 'shop/local/poll', port, backends: [backend(u)] }]))).toEqual([]);
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
    const pids = execFileSync('pgrep', ['-f', gw.dir()]).toString().trim().split('\n').map(Number);
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
    const [web, api, admin] = await Promise.all([gw.upstream('e-web'), gw.upstream('e-api'), gw.upstream('e-admin')]);
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
    expect(await gw.hx.apply(gw.table(services, [{ key: 'shop/local', port: hxEdge, routes }]))).toEqual([]);
    // The same table on Node listeners, on other ports: every answer must match.
    const nodeEdge = await freePort();
    const node = new Listeners({ drainTimeoutMs: 1_000 });
    try {
      const nodeServices = await Promise.all(services.map(async (s) => ({ ...s, port: await freePort() })));
      expect(await node.apply(gw.table(nodeServices, [{ key: 'shop/local', port: nodeEdge, routes }]))).toEqual([]);
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
        await gw.hx.apply(
          gw.table(services, [
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
    const web = await gw.upstream('big-web');
    const services: ServiceListener[] = [{ key: 'shop/local/web', port: await freePort(), backends: [backend(web)] }];
    const routes = [{ pathPrefix: '/', target: 'shop/local/web', stripPrefix: false }];
    const [hxEdge, nodeEdge] = [await freePort(), await freePort()];
    expect(await gw.hx.apply(gw.table(services, [{ key: 'shop/local', port: hxEdge, routes }]))).toEqual([]);
    const node = new Listeners({ drainTimeoutMs: 1_000 });
    try {
      const nodeServices = [{ ...services[0]!, port: await freePort() }];
      expect(await node.apply(gw.table(nodeServices, [{ key: 'shop/local', port: nodeEdge, routes }]))).toEqual([]);
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
    const web = await gw.upstream('tls-gw.hx-web');
    const shop = await devCertificate(gw.home.dir, ['shop.local']);
    const api = await devCertificate(gw.home.dir, ['*.api.local']);
    const ca = readFileSync((await devCa(gw.home.dir)).certFile);
    const certificates = writeEdgeCertificates(join(gw.home.dir, 'certs'), [
      { hosts: ['shop.local'], ...shop },
      { hosts: ['*.api.local'], ...api },
    ]);
    const services: ServiceListener[] = [{ key: 'shop/local/web', port: await freePort(), backends: [backend(web)] }];
    const [edge, tlsPort] = [await freePort(), await freePort()];
    const routes = [{ pathPrefix: '/', target: 'shop/local/web', stripPrefix: false }];
    expect(
      await gw.hx.apply(
        gw.table(services, [
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

  it('passes WebSocket-style upgrades through the service address and the edge (prefix stripped)', async () => {
    const echo = await startUpgradeEcho();
    const ws: Backend = { id: 'ws', host: '127.0.0.1', port: echo.port };
    const [port, edge] = [await freePort(), await freePort()];
    try {
      expect(
        await gw.hx.apply(
          gw.table(
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
});
