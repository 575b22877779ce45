/**
 * Test helpers for the gateway: small upstream servers on 127.0.0.1 and a JSON client for the
 * control API. Not part of the build.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

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

/** A port that is free right now (bound and released). */
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

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
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
      ],
      { cwd: repoRoot, stdio: 'pipe' },
    );
  }
  return entry;
}
