/**
 * Test helpers of the local runtime (excluded from the build like every `testing.ts`): compiles
 * the shim once per content, a gateway that records every table it is given, service states
 * running the fixture server, and a last-resort cleanup of processes left under a home.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyTable } from '../../../gateway/table.js';
import type { GatewayControl, ListenerError, RoutingTable, ServiceTraffic } from '../../../gateway/table.js';
import { afterEach, beforeAll } from 'vitest';
import type { Runtime } from '../../runtime.js';
import type { ServiceState } from '../../../model/serviceState.js';
import { createLocalRuntime, type LocalRuntimeOptions } from '../localRuntime.js';
import { isSameProcessAlive, killGroup, killPid } from '../procfs.js';
import type { ShimInfo } from '../shimFiles.js';
import { listReplicaDirs, listServiceDirs, readShimInfo, serviceDir, type ReplicaRecord } from '../replicaStore.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const localDir = join(here, '..');
const repoRoot = join(localDir, '..', '..', '..');

/** A replica.json's record for tests that lay out replica folders by hand: shop/dev/orders unless `over` says. */
export function replicaRecord(id: string, over: Partial<ReplicaRecord> = {}): ReplicaRecord {
  return {
    id,
    app: 'shop',
    env: 'dev',
    service: 'orders',
    hash: 'aaaaaaa1',
    revision: 1,
    port: 1,
    restarts: 0,
    backoffStreak: 0,
    created: new Date(0).toISOString(),
    spec: { terminationGracePeriodMs: 1000 },
    ...over,
  };
}

/** Path of the fixture server. */
export const FIXTURE = join(here, 'server.mjs');

/**
 * Compiles shim.ts and its imports (those of this folder, and the shared model's leaf files they
 * use) to a cache directory keyed by their content; returns shim.js.
 */
export function buildShim(): string {
  const sources = ['shim.ts', 'shimFiles.ts', 'logFiles.ts', 'procfs.ts', 'stdioPipes.ts', '../../model/logTime.ts'];
  const h = createHash('sha256');
  for (const s of sources) h.update(readFileSync(join(localDir, s)));
  const out = join(tmpdir(), `berth-shim-${h.digest('hex').slice(0, 16)}`);
  const entry = join(out, 'runtime', 'local', 'shim.js');
  if (existsSync(entry)) return entry;
  const tmp = mkdtempSync(join(tmpdir(), 'berth-shim-build-'));
  execFileSync(
    process.execPath,
    [
      join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--outDir',
      tmp,
      '--rootDir',
      join(localDir, '..', '..'),
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2023',
      '--skipLibCheck',
      '--types',
      'node',
      '--strict',
      join(localDir, 'shim.ts'),
    ],
    { cwd: repoRoot, stdio: 'pipe' },
  );
  writeFileSync(join(tmp, 'package.json'), '{"type":"module"}\n');
  try {
    renameSync(tmp, out);
  } catch {
    // another test file built it first
    rmSync(tmp, { recursive: true, force: true });
  }
  return entry;
}

/**
 * Compiles the native shim (the C files of native/shim/, as scripts/buildNative.mjs does) to a cache
 * path keyed by the content of that folder's .c and .h files; returns the binary. Tests pass it as `nativeShim`, so they run on the shim the runtime picks by
 * default (the native one; BERTH_SHIM=node runs them on the Node fallback).
 */
export function buildNativeShim(): string {
  const dir = join(repoRoot, 'native', 'shim');
  const files = readdirSync(dir)
    .filter((f) => /\.[ch]$/.test(f))
    .sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f}\0`).update(readFileSync(join(dir, f)));
  const h = hash.digest('hex').slice(0, 16);
  const sources = files.filter((f) => f.endsWith('.c')).map((f) => join(dir, f));
  const out = join(tmpdir(), `berth-native-shim-${h}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-Wextra', '-o', tmp, ...sources], { stdio: 'pipe' });
  renameSync(tmp, out);
  return out;
}

/** Both shims, as createLocalRuntime takes them. */
export function buildShims(): { shimEntry: string; nativeShim: string } {
  return { shimEntry: buildShim(), nativeShim: buildNativeShim() };
}

/** A GatewayControl that records tables; `update` takes `delayMs` like a real process would. */
export class RecordingGateway implements GatewayControl {
  current: RoutingTable = emptyTable();
  /** When each backend id left a service's backends. */
  readonly removedAt = new Map<string, number>();
  readonly history: { atMs: number; table: RoutingTable }[] = [];
  delayMs = 20;
  /** Ports to report as not bindable: listeners of the table on these ports fail with EADDRINUSE. */
  readonly takenPorts = new Set<number>();
  private errors: ListenerError[] = [];
  private queue: Promise<void> = Promise.resolve();

  async ensureRunning(): Promise<void> {}

  /** Nothing to restart: this gateway is no process. */
  async heal(): Promise<void> {}

  table(): RoutingTable {
    return structuredClone(this.current);
  }

  update(change: (table: RoutingTable) => void): Promise<void> {
    const run = async (): Promise<void> => {
      const next = structuredClone(this.current);
      change(next);
      await new Promise((r) => setTimeout(r, this.delayMs));
      const before = new Set(this.current.services.flatMap((s) => s.backends.map((b) => b.id)));
      const after = new Set(next.services.flatMap((s) => s.backends.map((b) => b.id)));
      for (const id of before) if (!after.has(id)) this.removedAt.set(id, Date.now());
      this.current = next;
      this.history.push({ atMs: Date.now(), table: structuredClone(next) });
      this.errors = [...next.services, ...next.edges]
        .filter((l) => this.takenPorts.has(l.port))
        .map((l) => ({ key: l.key, port: l.port, message: 'EADDRINUSE' }));
    };
    const p = this.queue.then(run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  listenerErrors(): ListenerError[] {
    return this.errors;
  }

  /** Per-track counters to report (tests set them; this gateway serves no requests itself). */
  trafficCounters: ServiceTraffic[] = [];

  async traffic(): Promise<ServiceTraffic[]> {
    return structuredClone(this.trafficCounters);
  }

  async stop(): Promise<void> {}

  /** Backend ids of one service listener. */
  backends(key: string): string[] {
    return this.current.services.find((s) => s.key === key)?.backends.map((b) => b.id) ?? [];
  }
}

/** A state running the fixture server with quick probes, backoffs and deadlines. */
export function fixtureState(over: Partial<ServiceState> & { fixtureEnv?: Record<string, string> } = {}): ServiceState {
  const { fixtureEnv, ...rest } = over;
  return {
    app: 'shop',
    env: 'dev',
    service: 'orders',
    revision: 1,
    configVersion: 1,
    hash: 'aaaaaaa1',
    replicas: 1,
    workload: {
      command: [process.execPath, FIXTURE],
      env: { GREETING: 'hi', ...fixtureEnv },
      files: [],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      readiness: {
        kind: 'http',
        path: '/healthz',
        initialDelayMs: 0,
        periodMs: 100,
        timeoutMs: 1000,
        failureThreshold: 2,
        successThreshold: 1,
      },
      resources: {},
      terminationGracePeriodMs: 2000,
    },
    rollout: { maxSurge: 1, maxUnavailable: 0, progressDeadlineMs: 15_000 },
    restart: { initialBackoffMs: 200, maxBackoffMs: 1000, resetAfterMs: 60_000 },
    ...rest,
  };
}

/** Polls `fn` until it returns a truthy value or the time is up. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILLs every shim and command recorded under `home` (cleanup after a failed test). */
export function killAll(home: string): void {
  for (const s of listServiceDirs(home)) {
    for (const d of listReplicaDirs(serviceDir(home, s.app, s.env, s.service))) {
      const info = readShimInfo(d);
      if (info) killShim(info);
    }
  }
}

/** SIGKILLs a shim and its command's process group, if they still run. */
export function killShim(info: ShimInfo): void {
  if (isSameProcessAlive(info.pid, info.startTime)) killGroup(info.pid, 'SIGKILL');
  if (isSameProcessAlive(info.shimPid, info.shimStartTime)) killPid(info.shimPid, 'SIGKILL');
}

/** A fresh home directory. */
export function tempHome(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-local-'));
  mkdirSync(d, { recursive: true });
  return d;
}

/** A local runtime for each test of a file (see `useLocalRuntime`). */
export interface LocalRuntimeFixture {
  /**
   * A runtime on a fresh home and recording gateway; with `keepHome`, a new runtime on the current
   * home and gateway (a restart: the previous one closed by the test).
   */
  start(opts?: { keepHome?: boolean }): Runtime;
  /** The current test's home, gateway and runtime. */
  readonly home: string;
  readonly gateway: RecordingGateway;
  readonly runtime: Runtime | undefined;
}

/**
 * Registers the hooks every local-runtime test file needs: the shim built once, and after each test
 * the app `shop/dev` removed, the runtime closed and anything left under the home killed. A file's
 * own `afterEach` (registered after this call) runs before this cleanup.
 */
export function useLocalRuntime(
  defaults: Partial<Omit<LocalRuntimeOptions, 'home' | 'gateway' | 'shimEntry' | 'nativeShim'>> = {},
): LocalRuntimeFixture {
  let shims = { shimEntry: '', nativeShim: '' };
  let home = '';
  let gateway = new RecordingGateway();
  let runtime: Runtime | undefined;
  beforeAll(() => {
    shims = buildShims();
  });
  afterEach(async () => {
    await runtime?.remove('shop', 'dev').catch(() => undefined);
    await runtime?.close();
    runtime = undefined;
    if (home) killAll(home);
  });
  return {
    start(opts = {}) {
      if (!opts.keepHome) {
        home = tempHome();
        gateway = new RecordingGateway();
      }
      runtime = createLocalRuntime({ pollIntervalMs: 50, edgePort: 0, ...defaults, home, gateway, ...shims });
      return runtime;
    },
    get home() {
      return home;
    },
    get gateway() {
      return gateway;
    },
    get runtime() {
      return runtime;
    },
  };
}
