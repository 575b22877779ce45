/**
 * The edge of an app on one machine: its port from the environment (`berth env create|set
 * --edge-port`) and from berth.yaml (`edge.port`), and a conflict between two apps named clearly.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerth, writeApp, type Berth } from './harness.js';
import { freePort } from '../../src/gateway/testing.js';
import { devCertificate } from '../../src/runtime/local/devCa.js';

let berth: Berth;
const dirs: string[] = [];

const SERVER = `
import { createServer } from 'node:http';
createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : process.env.NAME + ' ' + req.headers.host)).listen(
  Number(process.env.PORT),
  '127.0.0.1',
);
process.on('SIGTERM', () => process.exit(0));
`;

async function app(name: string, extra: string[] = []): Promise<string> {
  const dir = await writeApp(name, {
    'server.mjs': SERVER,
    'berth.yaml': [
      `name: ${name}`,
      'services:',
      '  web:',
      '    command: node server.mjs',
      '    ports: [8080]',
      `    env: { NAME: ${name} }`,
      '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
      'routes:',
      '  - { path: /, service: web }',
      ...extra,
    ],
  });
  dirs.push(dir);
  return dir;
}

const edgeOf = async (name: string): Promise<number> =>
  (await berth.json<{ edge: { port: number } }>(['status', name, '--env', 'stage'])).edge.port;

beforeAll(async () => {
  // The default data plane (HAProxy where installed): the TLS test's plain request reuses an idle
  // keep-alive connection to a port an earlier edge left, which must reach the new edge (its 308).
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('edge port', () => {
  it('comes from the environment, then from the app in the environment, and a taken port is a clear conflict', async () => {
    const [envPort, appPort] = [await freePort(), await freePort()];
    const bad = await berth.cli(['env', 'create', 'stage', '--edge-port', '70000']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--edge-port');
    expect(bad.stderr).toContain('expected a TCP port (1-65535)');
    const created = await berth.cli(['env', 'create', 'stage', '--edge-port', String(envPort)]);
    expect(created.stderr).toBe('');

    const a = await app('edge-a');
    expect((await berth.cli(['deploy', a, '--env', 'stage'])).code).toBe(0);
    expect(await edgeOf('edge-a')).toBe(envPort);
    expect(await (await fetch(`http://127.0.0.1:${envPort}/`)).text()).toBe(`edge-a 127.0.0.1:${envPort}`);

    const set = await berth.cli(['env', 'set', 'stage', '--edge-port', `edge-a=${appPort}`]);
    expect(set.stdout).toContain(`edge port ${envPort}, edge-a at ${appPort}`);
    expect((await berth.cli(['deploy', a, '--env', 'stage'])).code).toBe(0);
    expect(await edgeOf('edge-a')).toBe(appPort);
    expect(await (await fetch(`http://127.0.0.1:${appPort}/`)).text()).toBe(`edge-a 127.0.0.1:${appPort}`);

    // A second app asking for the same port in berth.yaml: refused, naming both and where each was set.
    const b = await app('edge-b', ['edge:', `  port: ${appPort}`]);
    const refused = await berth.cli(['deploy', b, '--env', 'stage']);
    expect(refused.code).toBe(1);
    expect(`${refused.stdout}${refused.stderr}`).toContain(
      `edge port ${appPort} of edge-b/stage (berth.yaml edge.port) is already the edge of edge-a/stage (environment stage (--edge-port edge-a=${appPort}))`,
    );
    // The first app still answers on its port.
    expect(await (await fetch(`http://127.0.0.1:${appPort}/`)).text()).toBe(`edge-a 127.0.0.1:${appPort}`);
  });
});

function httpsGet(
  port: number,
  servername: string,
  ca: Buffer,
): Promise<{ status: number; body: string; names?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/x', servername, headers: { host: servername }, ca, agent: false },
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
}

describe('edge TLS', () => {
  it('serves HTTPS with a development CA certificate for the route hosts and redirects HTTP with 308', async () => {
    const tlsPort = await freePort();
    const dir = await app('edge-tls', [
      '  - { host: "*.shop.local", path: /, service: web }',
      'edge:',
      '  tls:',
      `    port: ${tlsPort}`,
      '    devCertificates: true',
    ]);
    const deployed = await berth.cli(['deploy', dir, '--env', 'stage']);
    expect(deployed.code, deployed.stderr).toBe(0);
    const st = await berth.json<{ edge: { port: number; httpsUrl: string } }>(['status', 'edge-tls', '--env', 'stage']);
    expect(st.edge.httpsUrl).toBe(`https://127.0.0.1:${tlsPort}`);
    const ca = await readFile(join(berth.home, 'tls', 'ca.crt'));
    // A real handshake verified against the development CA, for a host of the wildcard route.
    const r = await httpsGet(tlsPort, 'a.shop.local', ca);
    expect(r).toMatchObject({ status: 200, body: 'edge-tls a.shop.local' });
    expect(r.names).toContain('DNS:*.shop.local');
    const plain = await fetch(`http://127.0.0.1:${st.edge.port}/x?y=1`, { redirect: 'manual' });
    expect(plain.status).toBe(308);
    expect(plain.headers.get('location')).toBe(`https://127.0.0.1:${tlsPort}/x?y=1`);
    // The key is nowhere in what people are shown.
    const history = await berth.cli(['history', 'edge-tls', '--env', 'stage', '-o', 'json']);
    expect(history.stdout).not.toContain('PRIVATE KEY');

    // A new certificate (other hosts) replaces the old one's files; taking the app down removes them.
    const certFiles = async (): Promise<string[]> =>
      (await readdir(join(berth.home, 'gateway', 'tls'))).filter((f) => /\.(crt|key)$/.test(f)).sort();
    const first = await certFiles();
    expect(first).toHaveLength(2);
    const spec = await readFile(join(dir, 'berth.yaml'), 'utf8');
    await writeFile(join(dir, 'berth.yaml'), spec.replace('*.shop.local', '*.other.local'));
    const again = await berth.cli(['deploy', dir, '--env', 'stage']);
    expect(again.code, again.stderr).toBe(0);
    expect((await httpsGet(tlsPort, 'b.other.local', ca)).names).toContain('DNS:*.other.local');
    const second = await certFiles();
    expect(second).toHaveLength(2);
    expect(second.filter((f) => first.includes(f))).toEqual([]);
    expect((await berth.cli(['down', 'edge-tls', '--env', 'stage'])).code).toBe(0);
    expect(await certFiles()).toEqual([]);
  });

  it('rolls out a certificate moved to new files, without reading the old files again', async () => {
    const tlsPort = await freePort();
    const tls = (name: string) => [
      'edge:',
      '  tls:',
      `    port: ${tlsPort}`,
      '    certificates:',
      `      - { hosts: [shop.local], cert: ${name}.crt, key: ${name}.key }`,
    ];
    const dir = await app('edge-moved', tls('old'));
    // Two certificates of a CA of the test's own (its files in the app's folder).
    const old = await devCertificate(dir, ['shop.local', 'old.shop.local']);
    const moved = await devCertificate(dir, ['shop.local', 'new.shop.local']);
    const ca = await readFile(join(dir, 'tls', 'ca.crt'));
    await writeFile(join(dir, 'old.crt'), old.cert);
    await writeFile(join(dir, 'old.key'), old.key);
    const first = await berth.cli(['deploy', dir, '--env', 'stage']);
    expect(first.code, first.stderr).toBe(0);
    expect((await httpsGet(tlsPort, 'shop.local', ca)).names).toContain('DNS:old.shop.local');
    // The certificate moves to new files and the old ones are gone: the stable state the deploy
    // starts from is the last revision's services, not its certificates, so it reads no old file.
    await writeFile(join(dir, 'new.crt'), moved.cert);
    await writeFile(join(dir, 'new.key'), moved.key);
    await rm(join(dir, 'old.crt'));
    await rm(join(dir, 'old.key'));
    const text = await readFile(join(dir, 'berth.yaml'), 'utf8');
    await writeFile(
      join(dir, 'berth.yaml'),
      text.replace('cert: old.crt, key: old.key', 'cert: new.crt, key: new.key'),
    );
    const second = await berth.cli(['deploy', dir, '--env', 'stage']);
    expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
    const r = await httpsGet(tlsPort, 'shop.local', ca);
    expect(r).toMatchObject({ status: 200, body: 'edge-moved shop.local' });
    expect(r.names).toContain('DNS:new.shop.local');
  });
});
