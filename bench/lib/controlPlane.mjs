// Shared by the benchmarks that drive a real control plane: start (and SIGKILL, and restart) a
// `berth server` on a temporary BERTH_HOME, call its API and CLI, run a bounded keep-alive request
// loop against 127.0.0.1, and list the processes that belong to the home.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = join(root, 'dist/cli/main.js');
export const HELLO = join(root, 'test/apps/hello/server.mjs');
const execFileP = promisify(execFile);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something truthy; throws after `timeoutMs`. */
export async function waitFor(what, fn, timeoutMs = 30_000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** How long a start waits for the server's /healthz by default: BERTH_BENCH_START_TIMEOUT_MS, else 120 s (a loaded machine can take tens of seconds). */
const START_TIMEOUT_MS = Number(process.env.BERTH_BENCH_START_TIMEOUT_MS) || 120_000;

/** SIGKILLs every process that belongs to `home` (server, gateway, shims, replicas). */
function killProcessesOf(home) {
  for (const p of processesOf(home)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/**
 * Starts `berth server` on a fresh home; `kill()` + `start()` restart it on the same home.
 * `cliPath` runs another build's CLI (to compare builds); `startTimeoutMs` bounds each start's wait for /healthz (a loaded machine may need longer). A start
 * that times out kills the server it spawned before it throws; when the first start fails, the
 * caller never gets `cp` to tear down, so everything of the home is killed and the home removed.
 */
export async function startControlPlane(
  prefix = 'berth-bench-',
  { startTimeoutMs = START_TIMEOUT_MS, cliPath = cli } = {},
) {
  if (!existsSync(cliPath)) throw new Error(`build first: npm run build (${cliPath} missing)`);
  const home = mkdtempSync(join(tmpdir(), prefix));
  const env = { ...process.env, BERTH_HOME: home, NO_COLOR: '1' };
  const cp = { home, env, cliPath, proc: undefined, url: '', token: '' };

  cp.start = async () => {
    const proc = spawn(
      process.execPath,
      [
        ...(process.env.BERTH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        cliPath,
        'server',
        '--port',
        '0',
        '--quiet',
      ],
      // BERTH_SERVER_LOG=<file>: the server's output (e.g. with BERTH_SERVER_NODE_ARGS=--trace-gc) goes there.
      {
        env,
        stdio: process.env.BERTH_SERVER_LOG
          ? ['ignore', openSync(process.env.BERTH_SERVER_LOG, 'a'), 'inherit']
          : 'ignore',
      },
    );
    cp.proc = proc;
    try {
      const up = await waitFor(
        `the control plane's /healthz (${startTimeoutMs} ms; BERTH_BENCH_START_TIMEOUT_MS sets it)`,
        async () => {
          // A server that exited ends the wait at once rather than at the timeout.
          if (proc.exitCode !== null || proc.signalCode !== null) return { exited: proc.exitCode ?? proc.signalCode };
          const info = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8'));
          if (info.pid !== proc.pid) return undefined;
          return (await fetch(`${info.url}/healthz`)).ok ? { url: info.url } : undefined;
        },
        startTimeoutMs,
      );
      if (up.exited !== undefined) throw new Error(`the server exited with ${up.exited} before it answered /healthz`);
      cp.url = up.url;
      cp.token = readFileSync(join(home, 'token'), 'utf8').trim();
    } catch (err) {
      await cp.kill('SIGKILL');
      throw err;
    }
  };

  cp.kill = async (signal = 'SIGKILL') => {
    const p = cp.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  };

  cp.api = async (method, path, body) => {
    const res = await fetch(cp.url + path, {
      method,
      headers: {
        authorization: `Bearer ${cp.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return json;
  };

  /** Runs the CLI; resolves with its exit code and output, never rejects. */
  cp.cli = async (args) => {
    try {
      const r = await execFileP(process.execPath, [cliPath, ...args], { env, maxBuffer: 20 << 20 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(e) };
    }
  };

  /** Sets config values: a new config version. */
  cp.setConfig = async (app, values, env = 'local') => {
    const cur = await cp.api('GET', `/api/v1/apps/${app}/envs/${env}/config`);
    const set = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: String(v) }]));
    return cp.api('PATCH', `/api/v1/apps/${app}/envs/${env}/config`, {
      baseVersion: cur.version,
      set,
      author: 'bench',
    });
  };

  /** Creates a release of the berth.yaml in `dir` and returns it at once. */
  cp.deploy = (dir, env = 'local') =>
    cp.api('POST', '/api/v1/releases', {
      env,
      spec: { file: join(dir, 'berth.yaml'), text: readFileSync(join(dir, 'berth.yaml'), 'utf8') },
      author: 'bench',
    });

  cp.release = (app, revision, env = 'local') => cp.api('GET', `/api/v1/apps/${app}/envs/${env}/releases/${revision}`);
  cp.status = (app, env = 'local') => cp.api('GET', `/api/v1/apps/${app}/envs/${env}/status`);

  /** Waits for a release to end; returns it. */
  cp.waitRelease = (app, revision, timeoutMs = 120_000) =>
    waitFor(
      `revision ${revision} to finish`,
      async () => {
        const r = await cp.release(app, revision);
        return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
      },
      timeoutMs,
      100,
    );

  /** Takes every app down, stops the control plane and the gateway, kills leftovers, removes the home. */
  cp.teardown = async () => {
    try {
      if (cp.proc && cp.proc.exitCode === null && cp.proc.signalCode === null) {
        for (const a of await cp.api('GET', '/api/v1/apps')) if (!a.down) await cp.cli(['down', a.app, '--env', a.env]);
        await cp.api('POST', '/api/v1/shutdown', { stopGateway: true });
        await waitFor('control plane exit', () => cp.proc.exitCode !== null || cp.proc.signalCode !== null, 15_000);
      }
    } catch (err) {
      console.error(`teardown: ${err.message}`);
    } finally {
      killProcessesOf(home);
      rmSync(home, { recursive: true, force: true });
    }
  };

  try {
    await cp.start();
  } catch (err) {
    killProcessesOf(home);
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
  return cp;
}

/** Processes whose command line or environment points into `home` (server, gateway, shims, replicas). */
export function processesOf(home) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      let environ = '';
      try {
        environ = readFileSync(`/proc/${d}/environ`, 'utf8');
      } catch {
        // not ours to read
      }
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (cmd.includes(home) || environ.includes(`BERTH_HOME=${home}`) || environ.includes(`${home}/run/`))
        out.push({ pid: Number(d), cmd, environ });
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * A keep-alive request loop: `connections` concurrent requests per target, each sent as soon as
 * the previous answered. Counts 2xx, other statuses and socket errors; `stop()` ends it.
 */
export function requestLoop(targets, { connections = 4, path = '/' } = {}) {
  const agent = new Agent({ connections, keepAliveTimeout: 30_000 });
  const stats = { ok: 0, failed: 0, reasons: {} };
  let stopped = false;
  const fail = (why) => {
    stats.failed++;
    stats.reasons[why] = (stats.reasons[why] ?? 0) + 1;
  };
  const one = async (url) => {
    while (!stopped) {
      try {
        const res = await request(url + path, { dispatcher: agent, headersTimeout: 10_000, bodyTimeout: 10_000 });
        const text = await res.body.text();
        if (res.statusCode >= 200 && res.statusCode < 300) stats.ok++;
        else fail(`${res.statusCode} ${text.trim().slice(0, 100)}`);
      } catch (err) {
        fail(err.code ?? err.message);
        await sleep(10);
      }
    }
  };
  const loops = targets.flatMap((t) => Array.from({ length: connections }, () => one(t)));
  return {
    stats,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      await agent.close();
      return stats;
    },
  };
}
