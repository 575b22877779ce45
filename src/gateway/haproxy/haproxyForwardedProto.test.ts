import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeListener, EdgeRoute, RoutingTable, ServiceListener } from '../table.js';
import type { Echo, Upstream } from '../testing.js';
import { fetchText, freePort, startUpstream, tempHome } from '../testing.js';
import { Listeners } from '../listeners.js';
import { HaproxyListeners } from './haproxyListeners.js';
import { devCa, devCertificate } from '../../runtime/local/devCa.js';
import { writeEdgeCertificates } from '../../runtime/local/edgeCertificates.js';

let home: { dir: string; remove(): Promise<void> };
let hx: HaproxyListeners;
let web: Upstream;

beforeAll(async () => {
  home = await tempHome();
  hx = new HaproxyListeners({ dir: join(home.dir, 'haproxy'), removalWaitMs: 3_000, drainTimeoutMs: 2_000 });
  web = await startUpstream('xfp-web');
});

afterAll(async () => {
  await hx?.close();
  await web?.close();
  await home?.remove();
});

/** GET over HTTPS, trusting the dev CA; the upstream's echo. */
function httpsEcho(port: number, ca: Buffer, headers: Record<string, string> = {}): Promise<Echo> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/p',
        ca,
        agent: false,
        servername: 'shop.local',
        headers: { host: 'shop.local', ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(body) as Echo) : reject(new Error(`${res.statusCode} ${body}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('HAProxy data plane: the scheme of an edge it hands to the Node listener', () => {
  it('is https for a request HAProxy received over TLS, http over plain HTTP whatever the client claims', async () => {
    const cert = await devCertificate(home.dir, ['shop.local']);
    const ca = readFileSync((await devCa(home.dir)).certFile);
    const certificates = writeEdgeCertificates(join(home.dir, 'certs'), [{ hosts: ['shop.local'], ...cert }]);
    const services: ServiceListener[] = [
      { key: 'shop/local/web', port: await freePort(), backends: [{ id: 'w1', host: '127.0.0.1', port: web.port }] },
    ];
    // A route policy: HAProxy cannot apply it, so the edge goes to the gateway's Node edge listener.
    const routes: EdgeRoute[] = [
      { pathPrefix: '/', target: 'shop/local/web', stripPrefix: false, policy: { timeoutMs: 5_000 } },
    ];
    const [edge, tlsPort] = [await freePort(), await freePort()];
    const edges: EdgeListener[] = [
      { key: 'shop/local', port: edge, routes, tls: { port: tlsPort, redirect: false, certificates } },
    ];
    const table: RoutingTable = { generation: 1, services, edges };
    expect(await hx.apply(table)).toEqual([]);
    expect(readFileSync(join(home.dir, 'haproxy', 'haproxy.cfg'), 'utf8')).toMatch(/server node 127\.0\.0\.1:\d+\n/);

    const overTls = await httpsEcho(tlsPort, ca);
    expect(overTls.headers['x-forwarded-proto']).toBe('https');
    expect(overTls.headers['x-forwarded-host']).toBe('shop.local');

    // A client's own header over plain HTTP is not believed, on HAProxy's port...
    const plain = await fetchText(`http://127.0.0.1:${edge}/p`, {
      headers: { host: 'shop.local', 'x-forwarded-proto': 'https' },
    });
    expect(plain.status).toBe(200);
    expect((JSON.parse(plain.text) as Echo).headers['x-forwarded-proto']).toBe('http');
    // ...and a client's `http` over TLS does not downgrade the scheme either.
    expect((await httpsEcho(tlsPort, ca, { 'x-forwarded-proto': 'http' })).headers['x-forwarded-proto']).toBe('https');
  });

  it('is never taken from a client on a public port of the Node data plane', async () => {
    const node = new Listeners({ drainTimeoutMs: 1_000 });
    try {
      const port = await freePort();
      const table: RoutingTable = {
        generation: 1,
        services: [
          {
            key: 'shop/local/web',
            port: await freePort(),
            backends: [{ id: 'w1', host: '127.0.0.1', port: web.port }],
          },
        ],
        edges: [
          {
            key: 'shop/local',
            port,
            routes: [{ pathPrefix: '/', target: 'shop/local/web', stripPrefix: false, policy: { timeoutMs: 5_000 } }],
          },
        ],
      };
      expect(await node.apply(table)).toEqual([]);
      const res = await fetchText(`http://127.0.0.1:${port}/p`, { headers: { 'x-forwarded-proto': 'https' } });
      expect((JSON.parse(res.text) as Echo).headers['x-forwarded-proto']).toBe('http');
    } finally {
      await node.close();
    }
  });
});
