import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devCa, devCertificate } from '../runtime/local/devCa.js';
import { writeEdgeCertificates } from '../runtime/local/edgeCertificates.js';
import { Listeners } from './listeners.js';
import type { Echo, Upstream } from './testing.js';
import { freePort, startUpstream, tempHome } from './testing.js';

let home: { dir: string; remove(): Promise<void> };
let listeners: Listeners;
let web: Upstream;
let ca: Buffer;
let edge: number;
let tlsPort: number;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The certificate the server presented: its subjectAltName. */
  names?: string;
}

function httpsGet(servername: string | undefined, path: string, host: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: tlsPort,
        path,
        headers: { host },
        ca,
        ...(servername === undefined ? { checkServerIdentity: () => undefined } : { servername }),
        agent: false,
      },
      (res) => {
        const names = (res.socket as TLSSocket).getPeerCertificate().subjectaltname;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, names }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function httpGet(path: string, host: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: edge, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  home = await tempHome();
  web = await startUpstream('tls-web');
  // Two certificates of the development CA: an exact host and a wildcard, as berth.yaml gives them.
  const shop = await devCertificate(home.dir, ['shop.local']);
  const api = await devCertificate(home.dir, ['*.api.local']);
  ca = readFileSync((await devCa(home.dir)).certFile);
  const certificates = writeEdgeCertificates(`${home.dir}/gateway/tls`, [
    { hosts: ['shop.local'], ...shop },
    { hosts: ['*.api.local'], ...api },
  ]);
  [edge, tlsPort] = [await freePort(), await freePort()];
  listeners = new Listeners({ drainTimeoutMs: 1_000 });
  const errors = await listeners.apply({
    generation: 1,
    services: [
      { key: 'shop/local/web', port: await freePort(), backends: [{ id: 'w', host: '127.0.0.1', port: web.port }] },
    ],
    edges: [
      {
        key: 'shop/local',
        port: edge,
        routes: [{ pathPrefix: '/', target: 'shop/local/web', stripPrefix: false }],
        tls: { port: tlsPort, redirect: true, certificates },
      },
    ],
  });
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await listeners?.close();
  await web?.close();
  await home?.remove();
});

describe('HTTPS at the edge (Node data plane)', () => {
  it('picks the certificate by SNI: the exact host, a wildcard host, the first one without a match', async () => {
    const shop = await httpsGet('shop.local', '/a?b=1', 'shop.local');
    expect(shop.names).toBe('DNS:shop.local, IP Address:127.0.0.1');
    expect(shop.status).toBe(200);
    const echo = JSON.parse(shop.body) as Echo;
    expect(echo.url).toBe('/a?b=1');
    expect(echo.headers['x-forwarded-proto']).toBe('https');
    expect((await httpsGet('x.api.local', '/', 'x.api.local')).names).toBe('DNS:*.api.local, IP Address:127.0.0.1');
    // The handshake verified each against the development CA and its host name; a host no
    // certificate names gets the first one (and fails verification by name, as it should).
    await expect(httpsGet('a.b.api.local', '/', 'a.b.api.local')).rejects.toThrow(
      /does not match certificate's altnames/,
    );
    expect((await httpsGet(undefined, '/', 'other')).names).toBe('DNS:shop.local, IP Address:127.0.0.1');
  });

  it('redirects HTTP to HTTPS with 308 and the same host, path and query', async () => {
    const r = await httpGet('/cart?id=7', `Shop.Local:${edge}`);
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe(`https://shop.local:${tlsPort}/cart?id=7`);
    expect(web.hits).toBeGreaterThan(0);
  });

  it('reports a certificate that cannot be loaded instead of listening without it', async () => {
    const other = new Listeners({ drainTimeoutMs: 500 });
    try {
      const port = await freePort();
      const errors = await other.apply({
        generation: 1,
        services: [],
        edges: [
          {
            key: 'shop/bad',
            port: await freePort(),
            routes: [],
            tls: {
              port,
              redirect: false,
              certificates: [{ hosts: ['bad.local'], certFile: '/nonexistent.crt', keyFile: '/nonexistent.key' }],
            },
          },
        ],
      });
      expect(errors).toEqual([
        { key: 'shop/bad', port, message: expect.stringContaining('certificate for bad.local: ENOENT') },
      ]);
    } finally {
      await other.close();
    }
  });
});
