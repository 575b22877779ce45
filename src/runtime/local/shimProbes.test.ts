/**
 * Probes run by the native shim (native/shim/probe.c, read through shimProbes.ts): the verdicts and
 * texts of the control plane's probes (probes.ts), probes.json written only when something changes,
 * and the runtime reading readiness from it (the Node shim keeps the control plane's probes).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Probe } from '../../model/probe.js';
import { freePort } from './ports.js';
import { runProbe } from './probes.js';
import { killPid } from './procfs.js';
import { listReplicaDirs, serviceDir } from './replicaStore.js';
import { shimArgv, shimPaths, type ShimInfo } from './shimFiles.js';
import {
  ShimProbe,
  SHIM_MAX_PATH,
  SHIM_PROBES_ENV,
  readShimProbes,
  shimProbesSpec,
  type ShimProbesFile,
} from './shimProbes.js';
import { buildNativeShim, fixtureState, killShim, useLocalRuntime, waitFor } from './testdata/testing.js';

const root = mkdtempSync(join(tmpdir(), 'berth-shim-probes-test-'));
const started: ShimInfo[] = [];
let nativeShim = '';
beforeAll(() => {
  nativeShim = buildNativeShim();
});
afterAll(() => {
  for (const s of started) killShim(s);
  rmSync(root, { recursive: true, force: true });
});

// A server that answers 503 to its first three requests, then 200; it counts requests in a file
// and says whether the shim's probe list reached it.
const SERVER = `
const { writeFileSync } = require('node:fs');
writeFileSync('env.txt', String(process.env.${SHIM_PROBES_ENV} !== undefined));
let n = 0;
require('node:http').createServer((q, s) => { n++; writeFileSync('count.txt', String(n)); s.statusCode = n <= 3 ? 503 : 200; s.end(); })
  .listen(Number(process.env.PORT), '127.0.0.1');
`;

const timing = { initialDelayMs: 0, periodMs: 20, timeoutMs: 1000, failureThreshold: 2, successThreshold: 1 };

describe('the native shim running probes', () => {
  it('passes an http probe as probes.ts does, and rewrites probes.json only when a verdict or finding changes', async () => {
    const dir = join(root, 'http');
    const [port, closed] = [await freePort(), await freePort()];
    const readiness: Probe = { kind: 'http', path: '/healthz', ...timing };
    const liveness: Probe = { kind: 'tcp', port: closed, ...timing };
    const argv = shimArgv({
      replicaDir: dir,
      gracePeriodMs: 1000,
      logMaxBytes: 1 << 20,
      logKeep: 1,
      command: [process.execPath, '-e', SERVER],
    });
    const env = {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      [SHIM_PROBES_ENV]: shimProbesSpec({ readiness, liveness }, port)!,
    };
    spawn(nativeShim, argv, { env, cwd: root, stdio: 'ignore', detached: true }).unref();
    await waitFor(() => existsSync(shimPaths(dir).shim), 10_000, 'shim.json');
    const info = JSON.parse(readFileSync(shimPaths(dir).shim, 'utf8')) as ShimInfo;
    started.push(info);

    const file = await waitFor(
      () => {
        const f = readShimProbes(dir);
        return f?.readiness?.verdict === true && f.liveness?.verdict === false ? f : undefined;
      },
      10_000,
      'ready and not live',
    );
    // The texts the control plane's own probes give for the same server and the same closed port.
    const live = await runProbe(readiness, { host: '127.0.0.1', port, env: {} });
    const refused = await runProbe(liveness, { host: '127.0.0.1', port, env: {} });
    const ready = new ShimProbe('readiness', () => undefined);
    const alive = new ShimProbe('liveness', () => undefined);
    ready.update(file);
    alive.update(file);
    expect(ready.lastMessage).toBe(live.message);
    expect(alive.lastMessage).toBe(refused.message);
    expect(file.liveness?.downs).toBe(1);
    expect(readFileSync(join(root, 'env.txt'), 'utf8')).toBe('false');

    // Steady: ten more probes, and probes.json is the same file (each write is a new one, by rename).
    const inode = statSync(shimPaths(dir).probes).ino;
    const count = (): number => Number(readFileSync(join(root, 'count.txt'), 'utf8'));
    const seen = count();
    await waitFor(() => count() >= seen + 10, 10_000, 'ten more probes');
    expect(statSync(shimPaths(dir).probes).ino).toBe(inode);
    killPid(info.shimPid, 'SIGTERM');
    await waitFor(() => existsSync(shimPaths(dir).exit), 10_000, 'exit.json');
  });

  it('probes the longest path it takes, whole; a longer one stays with the control plane', async () => {
    const dir = join(root, 'long');
    const port = await freePort();
    const path = `/${'p'.repeat(SHIM_MAX_PATH - 1)}`;
    const argv = shimArgv({
      replicaDir: dir,
      gracePeriodMs: 1000,
      logMaxBytes: 1 << 20,
      logKeep: 1,
      command: [
        process.execPath,
        '-e',
        `require('node:http').createServer((q, s) => { require('node:fs').writeFileSync('path.txt', q.url); s.end(); })
          .listen(Number(process.env.PORT), '127.0.0.1');`,
      ],
    });
    const readiness: Probe = { kind: 'http', path, ...timing };
    const env = {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      [SHIM_PROBES_ENV]: shimProbesSpec({ readiness }, port)!,
    };
    spawn(nativeShim, argv, { env, cwd: root, stdio: 'ignore', detached: true }).unref();
    await waitFor(() => existsSync(shimPaths(dir).shim), 10_000, 'shim.json');
    const info = JSON.parse(readFileSync(shimPaths(dir).shim, 'utf8')) as ShimInfo;
    started.push(info);
    await waitFor(() => readShimProbes(dir)?.readiness?.verdict === true, 10_000, 'ready');
    expect(readFileSync(join(root, 'path.txt'), 'utf8')).toBe(path);
    expect(shimProbesSpec({ readiness: { kind: 'http', path: `${path}p`, ...timing } }, port)).toBeUndefined();
    killPid(info.shimPid, 'SIGTERM');
    await waitFor(() => existsSync(shimPaths(dir).exit), 10_000, 'exit.json');
  });
});

describe('ShimProbe', () => {
  const entry = (verdict: boolean | null, downs: number): ShimProbesFile => ({
    liveness: { verdict, downs, code: 'probe.httpStatus', params: { status: verdict ? 200 : 500, path: '/h' } },
  });
  it('reports a failure it only sees counted (it recovered between two reads), then the recovery', () => {
    const changes: boolean[] = [];
    const p = new ShimProbe('liveness', (ok) => changes.push(ok));
    p.begin(entry(true, 0));
    p.update(entry(true, 1));
    expect(changes).toEqual([true, false, true]);
  });
  it('leaves out failures an adopted run recovered from before it was read, but not a failing verdict', () => {
    const changes: boolean[] = [];
    new ShimProbe('liveness', (ok) => changes.push(ok)).begin(entry(true, 4));
    expect(changes).toEqual([true]);
    const failing: boolean[] = [];
    const p = new ShimProbe('liveness', (ok) => failing.push(ok));
    p.begin(entry(false, 2));
    expect(failing).toEqual([false]);
    expect(p.lastMessage).toBe('HTTP 500 from /h');
  });
  it('sends exec probes and paths probes.ts refuses to the control plane', () => {
    expect(shimProbesSpec({ readiness: { kind: 'exec', command: ['true'], ...timing } }, 1)).toBeUndefined();
    expect(shimProbesSpec({ readiness: { kind: 'http', path: '/a b', ...timing } }, 1)).toBeUndefined();
    expect(shimProbesSpec({ liveness: { kind: 'tcp', ...timing } }, 7)).toBe('liveness tcp 7 1000 20 0 2 1 0');
  });
});

describe.each(['native', 'node'] as const)('the runtime under the %s shim', (shim) => {
  const local = useLocalRuntime({ shim });
  it('becomes ready through its readiness probe', async () => {
    const rt = local.start();
    const quiet = { signal: new AbortController().signal, onEvent: () => undefined };
    await rt.converge(fixtureState(), quiet);
    const [replica] = (await rt.observe('shop', 'dev')).services[0]!.replicas;
    expect(replica?.phase).toBe('ready');
    const [dir] = listReplicaDirs(serviceDir(local.home, 'shop', 'dev', 'orders'));
    // The native shim probed (and wrote what it found); the Node shim left it to the control plane.
    expect(readShimProbes(dir!)?.readiness?.verdict ?? null).toBe(shim === 'native' ? true : null);
  });
});
