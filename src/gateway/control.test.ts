import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createServer as createNetServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalGatewayControl } from './control.js';
import { createGatewayControl } from './control.js';
import { dataPlaneFromEnv, parseDataPlane } from './gatewayOptions.js';
import { isSameProcess, processStartTime } from './processIdentity.js';
import { alreadyRunningExitCode, gatewayPaths, readGatewayState } from './state.js';
import type { Upstream } from './testing.js';
import { ensureGatewayBuilt, fetchText, freePort, startUpstream, tempHome } from './testing.js';

let entry: string;
const homes: { dir: string; remove(): Promise<void> }[] = [];
const controls: LocalGatewayControl[] = [];
const upstreams: Upstream[] = [];

async function home(): Promise<string> {
  const h = await tempHome();
  homes.push(h);
  return h.dir;
}

function control(dir: string): LocalGatewayControl {
  const c = createGatewayControl({ home: dir, entry });
  controls.push(c);
  return c;
}

async function waitDead(pid: number, startTime: string): Promise<void> {
  for (let i = 0; i < 200 && isSameProcess(pid, startTime); i++) await new Promise((r) => setTimeout(r, 20));
  expect(isSameProcess(pid, startTime)).toBe(false);
}

beforeAll(() => {
  entry = ensureGatewayBuilt();
}, 60_000);

afterEach(async () => {
  // Every gateway started here is stopped, even when a test failed half-way.
  for (const c of controls.splice(0)) await c.stop().catch(() => undefined);
  for (const u of upstreams.splice(0)) await u.close();
});

afterAll(async () => {
  for (const h of homes) await h.remove();
});

describe('gateway control', () => {
  it('starts a detached gateway, applies tables, and a second control adopts it', async () => {
    const dir = await home();
    const u = await startUpstream('one');
    upstreams.push(u);
    const port = await freePort();

    const a = control(dir);
    await a.ensureRunning();
    const pid = a.pid()!;
    expect(pid).not.toBe(process.pid);
    expect(readGatewayState(gatewayPaths(dir))).toMatchObject({ pid, startTime: processStartTime(pid) });
    expect(statSync(gatewayPaths(dir).token).mode & 0o777).toBe(0o600);

    await a.update((t) =>
      t.services.push({ key: 'shop/local/orders', port, backends: [{ id: 'one', host: '127.0.0.1', port: u.port }] }),
    );
    expect(a.table().generation).toBe(1);
    expect((await fetchText(`http://127.0.0.1:${port}/x`)).status).toBe(200);

    const b = control(dir);
    await b.ensureRunning();
    expect(b.pid()).toBe(pid);
    expect(b.table()).toEqual(a.table());
    await b.update((t) => (t.services[0]!.backends = []));
    expect(b.table().generation).toBe(2);
    const res = await fetchText(`http://127.0.0.1:${port}/x`);
    expect(res.status).toBe(503);
    expect(res.text).toContain('no ready replicas for shop/local/orders');
  });

  it('serves the persisted table again after the gateway is killed with SIGKILL', async () => {
    const dir = await home();
    const u = await startUpstream('persisted');
    upstreams.push(u);
    const port = await freePort();
    const a = control(dir);
    await a.update((t) =>
      t.services.push({ key: 'shop/local/orders', port, backends: [{ id: 'p', host: '127.0.0.1', port: u.port }] }),
    );
    const old = readGatewayState(gatewayPaths(dir))!;

    process.kill(old.pid, 'SIGKILL');
    await waitDead(old.pid, old.startTime);
    await expect(fetchText(`http://127.0.0.1:${port}/`)).rejects.toThrow(/ECONNREFUSED|ECONNRESET/);

    // A fresh control (a restarted control plane) knows the table from disk and restarts the gateway.
    const b = control(dir);
    expect(b.table().services.map((s) => s.key)).toEqual(['shop/local/orders']);
    await b.ensureRunning();
    expect(b.pid()).not.toBe(old.pid);
    const res = await fetchText(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ name: 'persisted' });
  });

  it('restarts a gateway it started at once when it dies, with onExit; not one it stopped', async () => {
    const dir = await home();
    const u = await startUpstream('exit');
    upstreams.push(u);
    const port = await freePort();
    let exits = 0;
    const a: LocalGatewayControl = createGatewayControl({
      home: dir,
      entry,
      onExit: () => {
        exits++;
        void a.heal();
      },
    });
    controls.push(a);
    await a.update((t) =>
      t.services.push({ key: 'shop/local/orders', port, backends: [{ id: 'e', host: '127.0.0.1', port: u.port }] }),
    );
    const old = readGatewayState(gatewayPaths(dir))!;
    process.kill(old.pid, 'SIGKILL');
    // Nobody calls heal or update: the exit itself brings a new gateway on the saved table.
    let res: { status: number; text: string } | undefined;
    for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      const now = readGatewayState(gatewayPaths(dir));
      if (now && now.pid !== old.pid && isSameProcess(now.pid, now.startTime)) {
        res = await fetchText(`http://127.0.0.1:${port}/`).catch(() => undefined);
        if (res) break;
      }
    }
    expect(exits).toBe(1);
    expect(res?.status).toBe(200);
    expect(a.pid()).not.toBe(old.pid);
    // A stop is not a death: nothing restarts it.
    const second = readGatewayState(gatewayPaths(dir))!;
    await a.stop();
    await waitDead(second.pid, second.startTime);
    await new Promise((r) => setTimeout(r, 300));
    expect(exits).toBe(1);
    expect(readGatewayState(gatewayPaths(dir))?.pid ?? second.pid).toBe(second.pid);
  });

  it('restarts a dead gateway during update and retries the change', async () => {
    const dir = await home();
    const u = await startUpstream('retry');
    upstreams.push(u);
    const [p1, p2] = [await freePort(), await freePort()];
    const a = control(dir);
    await a.update((t) =>
      t.services.push({ key: 'shop/local/a', port: p1, backends: [{ id: 'r', host: '127.0.0.1', port: u.port }] }),
    );
    const old = readGatewayState(gatewayPaths(dir))!;
    process.kill(old.pid, 'SIGKILL');
    await waitDead(old.pid, old.startTime);

    await a.update((t) =>
      t.services.push({ key: 'shop/local/b', port: p2, backends: [{ id: 'r', host: '127.0.0.1', port: u.port }] }),
    );
    expect(a.pid()).not.toBe(old.pid);
    expect(a.table().generation).toBe(2);
    expect((await fetchText(`http://127.0.0.1:${p1}/`)).status).toBe(200);
    expect((await fetchText(`http://127.0.0.1:${p2}/`)).status).toBe(200);
  });

  it('reports a port the gateway cannot bind, retries it on every update, and an empty update heals a dead gateway', async () => {
    const dir = await home();
    const u = await startUpstream('heal');
    upstreams.push(u);
    const port = await freePort();
    const a = control(dir);
    await a.update((t) =>
      t.services.push({ key: 'shop/local/a', port, backends: [{ id: 'h', host: '127.0.0.1', port: u.port }] }),
    );
    expect(a.listenerErrors()).toEqual([]);
    const old = readGatewayState(gatewayPaths(dir))!;
    process.kill(old.pid, 'SIGKILL');
    await waitDead(old.pid, old.startTime);
    // A SIGKILLed multi-threaded process reads as a zombie a moment before its sockets are released.
    const holder = createNetServer();
    for (let tries = 0; ; tries++) {
      const bound = await new Promise<boolean>((resolve) => {
        holder.once('error', () => resolve(false));
        holder.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (bound) break;
      if (tries > 100) throw new Error(`port ${port} stays taken after the gateway died`);
      await new Promise((r) => setTimeout(r, 20));
    }
    try {
      // A restarted control plane: the gateway comes back on its saved table, but the port is taken.
      const b = control(dir);
      await b.ensureRunning();
      expect(b.pid()).not.toBe(old.pid);
      expect(b.listenerErrors()).toEqual([{ key: 'shop/local/a', port, message: 'not listening' }]);
      await b.update(() => undefined);
      expect(b.listenerErrors()).toEqual([{ key: 'shop/local/a', port, message: 'EADDRINUSE' }]);
    } finally {
      await new Promise((r) => holder.close(r));
    }
    await a.update(() => undefined);
    expect(a.listenerErrors()).toEqual([]);
    expect((await fetchText(`http://127.0.0.1:${port}/`)).status).toBe(200);

    // Killed again: an update that changes nothing notices it and starts a new gateway.
    const second = readGatewayState(gatewayPaths(dir))!;
    process.kill(second.pid, 'SIGKILL');
    await waitDead(second.pid, second.startTime);
    await a.update(() => undefined);
    expect(a.pid()).not.toBe(second.pid);
    expect((await fetchText(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });

  it('refuses the haproxy data plane with an HAProxy older than 2.6 by name, and starts no gateway', async () => {
    const dir = await home();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'haproxy'), "#!/bin/sh\necho 'HA-Proxy version 2.2.9-2+deb11u6 2023/12/12'\n");
    chmodSync(join(bin, 'haproxy'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${path ?? ''}`;
    try {
      const c = createGatewayControl({ home: dir, entry, dataPlane: 'haproxy' });
      controls.push(c);
      await expect(c.ensureRunning()).rejects.toThrow(
        `${join(bin, 'haproxy')} is HAProxy 2.2.9-2+deb11u6; the HAProxy data plane needs 2.6 or later`,
      );
      expect(readGatewayState(gatewayPaths(dir))).toBeUndefined();
    } finally {
      process.env.PATH = path;
    }
  });

  it('starts only one gateway when two controls race', async () => {
    const dir = await home();
    const a = control(dir);
    const b = control(dir);
    await Promise.all([a.ensureRunning(), b.ensureRunning()]);
    expect(a.pid()).toBeDefined();
    expect(b.pid()).toBe(a.pid());
  });

  it('stop drains in-flight requests, then the process exits and its files are cleaned up', async () => {
    const dir = await home();
    const slow = await startUpstream('slow', 300);
    upstreams.push(slow);
    const port = await freePort();
    const a = control(dir);
    await a.update((t) =>
      t.services.push({ key: 'shop/local/slow', port, backends: [{ id: 's', host: '127.0.0.1', port: slow.port }] }),
    );
    const state = readGatewayState(gatewayPaths(dir))!;

    const inFlight = fetchText(`http://127.0.0.1:${port}/`);
    await new Promise((r) => setTimeout(r, 100));
    await a.stop();
    expect((await inFlight).status).toBe(200);
    expect(isSameProcess(state.pid, state.startTime)).toBe(false);
    expect(existsSync(gatewayPaths(dir).state)).toBe(false);
    expect(readFileSync(gatewayPaths(dir).log, 'utf8')).toContain('gateway stopped');
    await expect(fetchText(`http://127.0.0.1:${port}/`)).rejects.toThrow(/ECONNREFUSED|ECONNRESET/);
  });

  it('reads per-track traffic from the gateway process; none when no gateway runs', async () => {
    const dir = await home();
    const [s, c] = [await startUpstream('t-stable'), await startUpstream('t-canary', 0, 503)];
    upstreams.push(s, c);
    const port = await freePort();
    const a = control(dir);
    expect(await a.traffic()).toEqual([]);

    await a.update((t) =>
      t.services.push({
        key: 'shop/local/t',
        port,
        backends: [
          { id: 's', host: '127.0.0.1', port: s.port },
          { id: 'c', host: '127.0.0.1', port: c.port, track: 'canary' },
        ],
        split: { canaryWeight: 0, match: { header: 'x-canary', value: '1' } },
      }),
    );
    for (let i = 0; i < 6; i++) await fetchText(`http://127.0.0.1:${port}/`);
    for (let i = 0; i < 4; i++) await fetchText(`http://127.0.0.1:${port}/`, { headers: { 'x-canary': '1' } });

    // A second control (a restarted control plane) reads the same counters without adopting first.
    for (const ctl of [a, control(dir)]) {
      const traffic = await ctl.traffic();
      expect(traffic.map((t) => t.key)).toEqual(['shop/local/t']);
      const [stable, canary] = ['stable', 'canary'].map((name) => traffic[0]!.tracks.find((t) => t.track === name)!);
      expect(stable).toMatchObject({ requests: 6, errors: 0 });
      expect(canary).toMatchObject({ requests: 4, errors: 4 });
      expect(canary!.latencyCounts.reduce((x, y) => x + y, 0)).toBe(4);
    }

    await a.stop();
    expect(await a.traffic()).toEqual([]);
    expect(await control(dir).traffic()).toEqual([]);
  });

  it('a second gateway process on the same home exits at once; SIGTERM exits 0', async () => {
    const dir = await home();
    const exit = (p: ChildProcess): Promise<number | null> => new Promise((resolve) => p.once('exit', resolve));
    const first = spawn(process.execPath, [entry, '--home', dir], { stdio: 'ignore' });
    const firstExit = exit(first);
    try {
      for (let i = 0; i < 300 && readGatewayState(gatewayPaths(dir))?.pid !== first.pid; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(readGatewayState(gatewayPaths(dir))?.pid).toBe(first.pid);
      const second = spawn(process.execPath, [entry, '--home', dir], { stdio: 'ignore' });
      expect(await exit(second)).toBe(alreadyRunningExitCode);
      first.kill('SIGTERM');
      expect(await firstExit).toBe(0);
    } finally {
      first.kill('SIGKILL');
    }
  });
});

describe('dataPlaneFromEnv', () => {
  it('reads node (also when unset) and haproxy, and refuses anything else by name', () => {
    expect(dataPlaneFromEnv(undefined)).toBe('node');
    expect(dataPlaneFromEnv('')).toBe('node');
    expect(dataPlaneFromEnv('node')).toBe('node');
    expect(dataPlaneFromEnv('haproxy')).toBe('haproxy');
    expect(() => dataPlaneFromEnv('HAProxy')).toThrow('BERTH_DATA_PLANE is "HAProxy": expected node or haproxy');
    expect(() => parseDataPlane('nginx', '--data-plane')).toThrow('--data-plane is "nginx": expected node or haproxy');
    expect(parseDataPlane('haproxy', '--data-plane')).toBe('haproxy');
  });
});
