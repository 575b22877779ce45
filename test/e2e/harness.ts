/**
 * End-to-end harness: a real control plane process on a free port with a temporary BERTH_HOME,
 * the real CLI as a subprocess (bin/berth.js, what `npx berth` runs: the bundled CLI), and plain HTTP
 * to the API and the app's edge.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, cp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { freePort } from '../../src/gateway/testing.js';
import { LABEL, homeIdOf } from '../../src/runtime/container/containerLaunch.js';
import { podman } from '../support/containerEngine.js';

const execFileP = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'bin/berth.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Berth {
  home: string;
  url: string;
  token: string;
  proc: ChildProcess;
  /** Runs `berth ...args` against this control plane. */
  cli(args: string[], opts?: { cwd?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** JSON output of `berth ... -o json`; throws with stderr when the command fails. */
  json<T>(args: string[]): Promise<T>;
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    opts?: { token?: string | null },
  ): Promise<{ status: number; body: T }>;
  /** Starts the control plane again (after `kill`), on the same home. */
  restart(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the control plane, every app and the gateway, and removes the home. */
  teardown(): Promise<void>;
}

export async function tempHome(prefix = 'berth-e2e-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Copies an example app into a temp folder so a test can edit its berth.yaml. */
export async function copyExample(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `berth-app-${name}-`));
  await cp(join(ROOT, 'examples', name), dir, { recursive: true });
  return dir;
}

/** Writes an app into a new temp folder: `files` by name (a `berth.yaml` given as lines is joined). */
export async function writeApp(name: string, files: Record<string, string | string[]>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `berth-app-${name}-`));
  for (const [file, content] of Object.entries(files))
    await writeFile(join(dir, file), Array.isArray(content) ? [...content, ''].join('\n') : content);
  return dir;
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
}
export { waitFor };

export async function startBerth(
  opts: {
    home?: string;
    env?: Record<string, string>;
    /** Runs the control plane (and so every replica) as this user, e.g. for programs that refuse root. */
    user?: { uid: number; gid: number };
  } = {},
): Promise<Berth> {
  const home = opts.home ?? (await tempHome());
  // The first app's edge takes a free port below the ephemeral range, never the default 8080 that the
  // other Node line's suite (run at the same time in CI) or a user's Berth may hold.
  const env = {
    ...process.env,
    BERTH_HOME: home,
    NO_COLOR: '1',
    BERTH_EDGE_PORT: String(await freePort()),
    ...opts.env,
  };
  let proc!: ChildProcess;
  let url = '';
  let token = '';

  async function launch(): Promise<void> {
    proc = spawn(process.execPath, [CLI, 'server', '--port', '0', '--quiet'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.user ?? {}),
    });
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const pid = proc.pid;
    // One still starting gets a minute (CI runs two suites at once); one that exits fails at once.
    const started = await waitFor(
      'control plane',
      async () => {
        if (proc.exitCode !== null) return { exited: `server exited ${proc.exitCode}: ${err}` };
        const info = JSON.parse(await readFile(join(home, 'server.json'), 'utf8')) as { url: string; pid: number };
        if (info.pid !== pid) return undefined;
        const res = await fetch(`${info.url}/healthz`);
        return res.ok ? { url: info.url } : undefined;
      },
      60_000,
    );
    if ('exited' in started) throw new Error(started.exited);
    url = started.url;
    token = (await readFile(join(home, 'token'), 'utf8')).trim();
  }
  await launch();

  const b: Berth = {
    home,
    get url() {
      return url;
    },
    get token() {
      return token;
    },
    get proc() {
      return proc;
    },
    async cli(args, o = {}) {
      try {
        const r = await execFileP(process.execPath, [CLI, ...args], {
          env: { ...env, ...o.env },
          cwd: o.cwd ?? ROOT,
          maxBuffer: 20 * 1024 * 1024,
          timeout: 170_000,
        });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        return {
          code: typeof err.code === 'number' ? err.code : 1,
          stdout: err.stdout ?? '',
          stderr: err.stderr ?? String(e),
        };
      }
    },
    async json<T>(args: string[]) {
      const r = await b.cli([...args, '-o', 'json']);
      if (r.code !== 0) throw new Error(`berth ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    async api<T>(method: string, path: string, body?: unknown, o: { token?: string | null } = {}) {
      const t = o.token === undefined ? token : o.token;
      const res = await fetch(url + path, {
        method,
        headers: {
          ...(t ? { authorization: `Bearer ${t}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed as T };
    },
    async restart() {
      await launch();
    },
    async kill(signal = 'SIGKILL') {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await exited;
    },
    async teardown() {
      try {
        if (proc.exitCode === null && proc.signalCode === null) {
          const apps = (await b.api<{ app: string; env: string; down: boolean }[]>('GET', '/api/v1/apps')).body;
          for (const a of Array.isArray(apps) ? apps : []) if (!a.down) await b.cli(['down', a.app, '--env', a.env]);
          await b.api('POST', '/api/v1/shutdown', { stopGateway: true });
          await waitFor('control plane exit', async () => proc.exitCode !== null || proc.signalCode !== null, 15_000);
        }
      } finally {
        if (proc.exitCode === null) proc.kill('SIGKILL');
        await killLeftovers(home);
        if (opts.env?.BERTH_CONTAINER_SOCKET ?? process.env.BERTH_CONTAINER_SOCKET) await removeContainersOf(home);
        await rm(home, { recursive: true, force: true });
      }
    },
  };
  return b;
}

/**
 * Removes the containers of this home's replicas: the engine keeps them running after the control plane
 * is gone, so a test whose `down` did not happen (it failed, the control plane died) left one behind — a
 * `bbuild` api container ran for 17 hours after a CI run of builds.test. A safety net, like killLeftovers.
 */
async function removeContainersOf(home: string): Promise<void> {
  const listed = await podman(['ps', '-aq', '--filter', `label=${LABEL.home}=${homeIdOf(home)}`], {
    timeoutMs: 30_000,
  }).catch(() => '');
  const ids = listed.split('\n').filter((id) => id.trim() !== '');
  if (ids.length > 0) await podman(['rm', '-f', '-t', '0', ...ids], { timeoutMs: 30_000 }).catch(() => undefined);
}

/** Kills every process of this home (shims, replicas, gateway): a safety net for failed tests. */
export async function killLeftovers(home: string): Promise<number[]> {
  const procs = await processesOf(home);
  for (const p of procs) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return procs.map((p) => p.pid);
}

/** Processes (pids) whose command line or environment points into this home: shims, replicas, gateway, server. */
export async function processesOf(home: string): Promise<{ pid: number; cmd: string }[]> {
  const { readdir } = await import('node:fs/promises');
  const out: { pid: number; cmd: string }[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = (await readFile(`/proc/${d}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      const environ = await readFile(`/proc/${d}/environ`, 'utf8').catch(() => '');
      if (cmd.includes(home) || environ.includes(`BERTH_HOME=${home}`) || environ.includes(`${home}/run/`))
        out.push({ pid: Number(d), cmd });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** What a keep-alive load saw: every request sent, answered 2xx, or failed (with why, counted). */
export interface LoadCounts {
  sent: number;
  ok: number;
  failed: number;
  reasons: Record<string, number>;
}

/**
 * Keep-alive requests to each URL on `connections` loops, each request sent when the previous one
 * answered, until `stop()`. Bounded by the test that stops it; traffic stays on 127.0.0.1.
 */
export function keepAliveLoad(
  urls: string[],
  opts: {
    connections: number;
    onAnswer?: (body: string) => void;
    /** Every answer or failure as it happens (status 0 for a request that got no response). */
    onResult?: (status: number, body: string, atMs: number) => void;
  },
): { counts: LoadCounts; stop(): Promise<LoadCounts> } {
  const agent = new Agent({ connections: opts.connections, keepAliveTimeout: 60_000 });
  const counts: LoadCounts = { sent: 0, ok: 0, failed: 0, reasons: {} };
  const fail = (why: string): void => {
    counts.failed++;
    counts.reasons[why] = (counts.reasons[why] ?? 0) + 1;
  };
  let stopped = false;
  const loop = async (url: string): Promise<void> => {
    while (!stopped) {
      counts.sent++;
      try {
        const res = await request(url, { dispatcher: agent });
        const body = await res.body.text();
        opts.onResult?.(res.statusCode, body, Date.now());
        if (res.statusCode !== 200) fail(`HTTP ${res.statusCode}: ${body.trim().slice(0, 80)}`);
        else {
          counts.ok++;
          opts.onAnswer?.(body);
        }
      } catch (err) {
        opts.onResult?.(0, '', Date.now());
        fail((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      }
    }
  };
  const loops = urls.flatMap((u) => Array.from({ length: opts.connections }, () => loop(u)));
  return {
    counts,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      await agent.close();
      return counts;
    },
  };
}
