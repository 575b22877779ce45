/**
 * Test helpers for the gateway: small upstream servers on 127.0.0.1 and a JSON client for the
 * control API. Not part of the build.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { Gateway, StartGatewayOptions } from './server.js';
import { startGateway } from './server.js';
import type { RoutingTable, ServiceTraffic } from './table.js';

/** What a test upstream replies: its name and what it received. */
export interface Echo {
  name: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A running test upstream. */
export interface Upstream {
  name: string;
  port: number;
  server: Server;
  /** Requests it has answered. */
  hits: number;
  /** Requests it has received (answered or not yet). */
  received: number;
  /** Status of the next answers; change it to make the upstream fail or recover. */
  status: number;
  /** Delay of the next answers (ms); change it to make the upstream slow. */
  delayMs: number;
  /** Graceful close: stop accepting, finish in-flight requests, close idle keep-alive connections. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server that answers every request with an Echo as JSON (after `delayMs`, with
 * `status`; both may be changed on the returned upstream while it runs).
 */
export async function startUpstream(name: string, delayMs = 0, status = 200): Promise<Upstream> {
  const up = { name, hits: 0, received: 0, status, delayMs } as Upstream;
  const server = createServer((req, res) => {
    up.received++;
    const { status, delayMs } = up;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (): void => {
        up.hits++;
        const body: Echo = {
          name,
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        res.statusCode = status;
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-upstream', name);
        res.end(JSON.stringify(body));
      };
      if (delayMs > 0) {
        const timer = setTimeout(reply, delayMs);
        // A proxy that gave up on the request closes the connection: no answer is due then.
        res.on('close', () => clearTimeout(timer));
      } else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.server = server;
  up.port = (server.address() as AddressInfo).port;
  up.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 20);
      server.once('close', () => clearInterval(sweep));
    });
  return up;
}

/** A server that accepts any upgrade (`101`, echoing the path it saw in `x-path`), then echoes bytes back. */
export async function startUpgradeEcho(): Promise<{ port: number; close(): void }> {
  const server = createServer();
  server.on('upgrade', (req, socket) => {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\nx-path: ${req.url}\r\n\r\n`,
    );
    socket.pipe(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Upgrades a connection to `port` at `path`, sends `ping`, waits for its echo: everything received. */
export function upgradeExchange(port: number, path: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no echo: ${got}`));
    }, timeoutMs);
    sock.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n`);
    sock.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes('\r\n\r\n') && !got.includes('ping')) sock.write('ping');
      if (got.endsWith('ping')) {
        clearTimeout(timer);
        sock.destroy();
        resolve(got);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** A port that is free right now (bound and released). */
export async function freePort(): Promise<number> {
  // Below the kernel's ephemeral range (32768-60999) like refusingPort: a port freed there is soon
  // taken by some outgoing connection's local end (CI's parallel files make thousands), and the
  // gateway's listener then fails with EADDRINUSE; below it only an explicit bind can take it.
  // 10000-19999: below the pool the control planes of other test files pick from (20000-32000,
  // src/localPorts.ts), which would otherwise take a port handed out here before it is bound.
  for (let tries = 0; tries < 50; tries++) {
    const port = 10_000 + Math.floor(Math.random() * 10_000);
    const s = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise<void>((resolve) => s.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no free port found below the ephemeral range');
}

/**
 * A port on 127.0.0.1 that refuses connections, for a "dead" backend. It is drawn from below the
 * kernel's ephemeral range (32768-60999), which listen(0) and outgoing connections use, and below
 * the pool control planes pick replica ports from (20000-32000, src/localPorts.ts), so no other
 * test file's server or replica can take it in the middle of a test (then the "dead" backend answers).
 */
export async function refusingPort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 10_000 + Math.floor(Math.random() * 10_000);
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
    });
    if (refused) return port;
  }
  throw new Error('no refusing port found below the ephemeral range');
}

/** A fresh temp directory and its removal. */
export async function tempHome(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-gateway-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** GET (or another method) returning status, headers and text body. */
export async function fetchText(
  url: string,
  init: { method?: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD'; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const res = await request(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** An in-process gateway on a temp home, driven through its control API as the runtime drives it. */
export interface TestGateway {
  gateway: Gateway;
  /** The gateway's Berth home. */
  home: string;
  /** The generation of the last table sent. */
  generation(): number;
  /** The control API's token. */
  token: string;
  /** A test upstream, closed with the gateway. */
  upstream(name: string, delayMs?: number, status?: number): Promise<Upstream>;
  /** `PUT /table` with the next generation (and the given authorization, the token's by default). */
  put(
    table: Omit<RoutingTable, 'generation'>,
    auth?: string,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Applies a table; throws unless the gateway answers 200 with the generation it was sent. */
  apply(table: Omit<RoutingTable, 'generation'>): Promise<void>;
  /** `GET /stats`: the per-service traffic counters. */
  services(): Promise<ServiceTraffic[]>;
  /** Stops the gateway and every upstream, and removes the home. */
  close(): Promise<void>;
}

/** Starts a gateway for a test file (`close` it in afterAll). */
export async function startTestGateway(opts: Omit<StartGatewayOptions, 'home'> = {}): Promise<TestGateway> {
  const home = await tempHome();
  const gateway = await startGateway({ ...opts, home: home.dir });
  const token = readFileSync(gateway.paths.token, 'utf8');
  const upstreams: Upstream[] = [];
  const base = `http://127.0.0.1:${gateway.controlPort}`;
  let generation = 0;
  const put: TestGateway['put'] = async (table, auth = `Bearer ${token}`) => {
    const res = await fetchText(`${base}/table`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ generation: ++generation, ...table }),
    });
    return { status: res.status, body: JSON.parse(res.text) as Record<string, unknown> };
  };
  return {
    gateway,
    home: home.dir,
    generation: () => generation,
    token,
    put,
    async upstream(name, delayMs = 0, status = 200) {
      const u = await startUpstream(name, delayMs, status);
      upstreams.push(u);
      return u;
    },
    async apply(table) {
      const res = await put(table);
      if (res.status !== 200 || JSON.stringify(res.body) !== JSON.stringify({ generation }))
        throw new Error(`table ${generation} not applied: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async services() {
      const res = await fetchText(`${base}/stats`, { headers: { authorization: `Bearer ${token}` } });
      return (JSON.parse(res.text) as { services: ServiceTraffic[] }).services;
    },
    async close() {
      await gateway.close();
      await Promise.all(upstreams.map((u) => u.close()));
      await home.remove();
    },
  };
}

/**
 * Compiles the gateway entry (and what it imports) into dist/ unless dist is newer than every
 * source it is built from: tests of the real process run the build output, as `berth` does.
 */
export function ensureGatewayBuilt(): string {
  const entry = join(repoRoot, 'dist/gateway/main.js');
  const sources = [
    join(repoRoot, 'src/errors.ts'),
    ...readdirSync(join(repoRoot, 'src/gateway'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'testing.ts')
      .map((f) => join(repoRoot, 'src/gateway', f)),
  ];
  const built = (src: string): string => src.replace(`${repoRoot}src/`, `${repoRoot}dist/`).replace(/\.ts$/, '.js');
  const stale = sources.some((src) => !existsSync(built(src)) || statSync(built(src)).mtimeMs < statSync(src).mtimeMs);
  if (stale) {
    execFileSync(
      process.execPath,
      [
        join(repoRoot, 'node_modules/typescript/bin/tsc'),
        ...[
          '--outDir',
          'dist',
          '--rootDir',
          'src',
          '--target',
          'ES2023',
          '--module',
          'NodeNext',
          '--moduleResolution',
          'NodeNext',
        ],
        ...[
          '--strict',
          '--skipLibCheck',
          '--sourceMap',
          '--esModuleInterop',
          '--verbatimModuleSyntax',
          '--types',
          'node',
        ],
        'src/gateway/main.ts',
        'src/gateway/control.ts',
        // Started by path, not imported: the entry of each gateway worker (--workers N).
        'src/gateway/gatewayWorker.ts',
      ],
      { cwd: repoRoot, stdio: 'pipe' },
    );
  }
  return entry;
}
