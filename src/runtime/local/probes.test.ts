import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Probe } from '../../model/probe.js';
import { runProbe } from './probes.js';

const timing = { initialDelayMs: 0, periodMs: 1000, timeoutMs: 300, failureThreshold: 1, successThreshold: 1 };
const target = (port = 1) => ({ host: '127.0.0.1', port, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
const servers: Server[] = [];
const netServers: NetServer[] = [];

afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
  for (const s of netServers.splice(0)) s.close();
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

async function timed(probe: Probe, port?: number): Promise<{ ok: boolean; message: string; ms: number }> {
  const t0 = Date.now();
  const r = await runProbe(probe, target(port));
  return { ...r, ms: Date.now() - t0 };
}

describe('probes that hang', () => {
  it('an exec probe whose shell leaves a child holding its pipes fails at its timeout', async () => {
    const r = await timed({ kind: 'exec', command: ['/bin/sh', '-c', 'sleep 30; true'], ...timing });
    expect(r).toMatchObject({ ok: false, message: 'exec /bin/sh: no exit within 300ms' });
    expect(r.ms).toBeLessThan(1000);
  });

  it('an exec probe reports the exit code and the last stderr line', async () => {
    const r = await timed({ kind: 'exec', command: ['/bin/sh', '-c', 'echo "db down" >&2; exit 2'], ...timing });
    expect(r).toMatchObject({ ok: false, message: 'exec /bin/sh: exit code 2: db down' });
    const ok = await timed({ kind: 'exec', command: ['/bin/sh', '-c', 'sleep 30 & exit 0'], ...timing });
    expect(ok).toMatchObject({ ok: true, message: 'exec /bin/sh: exit 0' });
    expect(ok.ms).toBeLessThan(1000);
  });

  it('an http probe against a server that never answers fails at its timeout', async () => {
    const port = await serve(() => undefined);
    const r = await timed({ kind: 'http', path: '/healthz', ...timing }, port);
    expect(r).toMatchObject({ ok: false, message: 'GET /healthz: no response within 300ms' });
    expect(r.ms).toBeLessThan(1000);
  });

  it('an http probe against a server that trickles its headers fails at its timeout', async () => {
    const srv = createNetServer((sock) => {
      sock.on('data', () => undefined);
      sock.write('HTTP/1.1 200 OK\r\nx-slow: ');
      const t = setInterval(() => sock.write('x'), 50);
      sock.on('close', () => clearInterval(t));
      sock.on('error', () => clearInterval(t));
    });
    netServers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const r = await timed({ kind: 'http', path: '/healthz', ...timing }, (srv.address() as AddressInfo).port);
    expect(r).toMatchObject({ ok: false, message: 'GET /healthz: no response within 300ms' });
    expect(r.ms).toBeLessThan(1000);
  });
});

/** A port on 127.0.0.1 nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('probe results as coded messages', () => {
  it('an http probe that is refused says so with a code, the OS error kept as it is', async () => {
    const port = await closedPort();
    const r = await runProbe({ kind: 'http', path: '/healthz', ...timing }, target(port));
    expect(r.message).toBe(`GET /healthz: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(r.detail).toEqual({
      code: 'probe.httpError',
      params: { path: '/healthz', error: `connect ECONNREFUSED 127.0.0.1:${port}` },
      text: r.message,
    });
  });

  it('an http probe answered 503 carries the status and path', async () => {
    const port = await serve((_req, res) => res.writeHead(503).end());
    const r = await runProbe({ kind: 'http', path: '/ready', ...timing }, target(port));
    expect(r).toMatchObject({ ok: false, message: 'HTTP 503 from /ready' });
    expect(r.detail).toMatchObject({ code: 'probe.httpStatus', params: { status: 503, path: '/ready' } });
  });

  it('a tcp probe that is refused and one that connects', async () => {
    const port = await closedPort();
    const refused = await runProbe({ kind: 'tcp', ...timing }, target(port));
    expect(refused.detail).toMatchObject({
      code: 'probe.tcpError',
      params: { address: `127.0.0.1:${port}`, error: `connect ECONNREFUSED 127.0.0.1:${port}` },
      text: `tcp 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    const open = await serve(() => undefined);
    const ok = await runProbe({ kind: 'tcp', ...timing }, target(open));
    expect(ok).toMatchObject({ ok: true, message: `tcp 127.0.0.1:${open}: connected` });
    expect(ok.detail.code).toBe('probe.tcpConnected');
  });

  it('an exec probe that fails carries its exit code and stderr line as a nested message', async () => {
    const r = await runProbe(
      { kind: 'exec', command: ['/bin/sh', '-c', 'echo "db down" >&2; exit 2'], ...timing },
      target(),
    );
    expect(r.message).toBe('exec /bin/sh: exit code 2: db down');
    expect(r.detail).toMatchObject({
      code: 'probe.execExitCode',
      params: { file: '/bin/sh', code: 2, stderr: { code: 'probe.stderr', params: { line: 'db down' } } },
      text: r.message,
    });
    const silent = await runProbe({ kind: 'exec', command: ['/bin/sh', '-c', 'exit 1'], ...timing }, target());
    expect(silent.detail).toMatchObject({ code: 'probe.execExitCode', params: { stderr: '' } });
    expect(silent.message).toBe('exec /bin/sh: exit code 1');
    const missing = await runProbe({ kind: 'exec', command: ['/no/such/probe'], ...timing }, target());
    expect(missing.detail).toMatchObject({ code: 'probe.execError', params: { file: '/no/such/probe' } });
    expect(missing.message).toBe('exec /no/such/probe: spawn /no/such/probe ENOENT');
  });

  it('a timeout is a code with the probe timeout', async () => {
    const r = await runProbe({ kind: 'exec', command: ['/bin/sh', '-c', 'sleep 30'], ...timing }, target());
    expect(r.detail).toMatchObject({
      code: 'probe.execTimeout',
      params: { file: '/bin/sh', timeoutMs: 300 },
      text: 'exec /bin/sh: no exit within 300ms',
    });
  });
});
