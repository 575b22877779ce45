// The control plane's own render time, per render mode: the `Server-Timing` of `POST /api/v1/render`
// (YAML) for render.mjs's generated app, without the CLI's process around it, whose start dominates
// whole-process figures on a loaded machine. Modes, interleaved run by run: a cached render (the same
// request twice, the second timed), a new text of the same spec, an edit (one service's image), a
// config change one service reads (FEATURE), a config change every service reads (LOG_LEVEL), an edit
// and a config change at once. With BASE=<another Berth checkout, built> that checkout's control plane
// runs beside this one and every request goes to both in turn, so the two columns share the load.
// The first render after start (one sample each) is timed once a control plane's background warm-up of
// the render path is over (one that has none, before session 17, is timed at once).
// Knobs: RUNS (default 15), SERVICES (render.mjs's), BASE, NODE_FLAGS and SERVER_OUT (see
// controlPlane), MODES (a comma-separated list of words that
// pick the modes whose names contain one, e.g. MODES=edited,every: to profile a control plane in those),
// FIRST=<k>: only the first render after start, k control-plane starts per checkout (interleaved),
// with the control plane's CPU for that render (/proc, Linux) beside its Server-Timing.
// A second table gives the CPU each control plane's threads used during each timed render (Linux
// schedstat, in ns): on a loaded machine it moves far less than the Server-Timing's wall time.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, openSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { root, generatedSpec, sleep, loadLine } from './renderApp.mjs';

const RUNS = Number(process.env.RUNS ?? 15);
const file = generatedSpec();
const text = readFileSync(file, 'utf8');

/** A control plane of the checkout at `dir` on a data directory of its own. */
async function controlPlane(dir) {
  const cli = join(dir, 'dist/cli/main.js');
  const home = mkdtempSync(join(tmpdir(), 'berth-bench-render-server-'));
  const env = { ...process.env, BERTH_HOME: home, NO_COLOR: '1' };
  // NODE_FLAGS: Node options for this checkout's control plane, not BASE's (e.g. `--cpu-prof --cpu-prof-dir=<dir>`: each
  // writes a V8 CPU profile there when it stops); SERVER_OUT=<file>: their output, appended there.
  const flags = dir === root ? (process.env.NODE_FLAGS ?? '').split(' ').filter(Boolean) : [];
  const out = process.env.SERVER_OUT ? openSync(process.env.SERVER_OUT, 'a') : 'ignore';
  const child = spawn(process.execPath, [...flags, cli, 'server', '--port', '0', '--quiet'], {
    env,
    stdio: ['ignore', out, out],
  });
  let url;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i === 3000) throw new Error(`the control plane of ${dir} did not start`);
    if (existsSync(join(home, 'server.json'))) {
      ({ url } = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')));
      if (
        await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
    }
    await sleep(20);
  }
  const token = readFileSync(join(home, 'token'), 'utf8').trim();
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  // A control plane that warms its render path in the background after its start says so in its info
  // (src/server/renderWarmup.ts): its first render is timed after that, as render.mjs does.
  for (let i = 0; ; i++) {
    const info = await fetch(`${url}/api/v1/info`, { headers }).then((r) => r.json());
    if (info.renderWarmup !== 'running') break;
    if (i === 3000) throw new Error(`the control plane of ${dir} did not end its render warm-up in 60 s`);
    await sleep(20);
  }
  /** CPU the control plane's threads have used, in ns (Linux schedstat; NaN elsewhere): robust to the load. */
  const cpuNs = () => {
    try {
      let ns = 0;
      for (const t of readdirSync(`/proc/${child.pid}/task`))
        ns += Number(readFileSync(`/proc/${child.pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      return ns;
    } catch {
      return NaN;
    }
  };
  /** CPU ns so far per thread name (`comm`: the main thread, V8's workers, libuv's pool, ...), Linux only. */
  const cpuByThread = () => {
    const by = {};
    try {
      for (const t of readdirSync(`/proc/${child.pid}/task`)) {
        const comm = readFileSync(`/proc/${child.pid}/task/${t}/comm`, 'utf8').trim();
        const name = t === String(child.pid) ? 'main' : `${comm} (other)`;
        const ns = Number(readFileSync(`/proc/${child.pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
        by[name] = (by[name] ?? 0) + ns;
      }
    } catch {
      // a thread that ended between the listing and the read: its time is left out
    }
    return by;
  };
  return {
    dir,
    /** CPU ms of the control plane during each timed render (see `cpuNs`). */
    cpu: [],
    /** The render's Server-Timing in ms. */
    async render(t) {
      const c0 = cpuNs();
      const t0 = cpuByThread();
      const r = await fetch(`${url}/api/v1/render`, {
        method: 'POST',
        headers: { ...headers, accept: 'application/yaml' },
        body: JSON.stringify({ env: 'local', spec: { file, text: t }, format: 'yaml' }),
      });
      const body = await r.text();
      if (!r.ok) throw new Error(`render failed on ${dir}: ${body.slice(0, 500)}`);
      this.lastCpu = (cpuNs() - c0) / 1e6;
      const t1 = cpuByThread();
      this.lastThreads = Object.fromEntries(Object.entries(t1).map(([k, v]) => [k, (v - (t0[k] ?? 0)) / 1e6]));
      return Number(/dur=([\d.]+)/.exec(r.headers.get('server-timing') ?? '')?.[1] ?? NaN);
    },
    set: (kv) => execFileSync(process.execPath, [cli, 'config', 'set', kv, '--app', 'big'], { env, stdio: 'ignore' }),
    /** The control plane's CPU time so far in ms (Linux: /proc, 10 ms ticks), NaN elsewhere. */
    cpuMs() {
      try {
        const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return (Number(f[11]) + Number(f[12])) * 10;
      } catch {
        return NaN;
      }
    },
    /** The control plane's resident memory in MB (Linux: /proc), NaN elsewhere. */
    rssMb() {
      try {
        const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        return Number(kb) / 1024;
      } catch {
        return NaN;
      }
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      await fetch(`${url}/api/v1/shutdown`, { method: 'POST', headers, body: '{"stopGateway":true}' }).catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

const edited = (tag) => text.replace('svc-000:${TAG}', () => `svc-000:${tag}`);
const allModes = {
  'cached render': async (cp) => (await cp.render(text), cp.render(text)),
  'new text, same spec': (cp, i) => cp.render(`${text}# run ${i}\n`),
  'edited berth.yaml': (cp, i) => cp.render(edited(`edit-${i}`)),
  'config change one service reads': (cp, i) => (cp.set(`FEATURE=f${i}`), cp.render(text)),
  'config change every service reads': (cp, i) => (cp.set(`LOG_LEVEL=l${i}`), cp.render(text)),
  'edit + config change': (cp, i) => (cp.set(`LOG_LEVEL=b${i}`), cp.render(edited(`both-${i}`))),
};
const words = process.env.MODES?.split(',').map((w) => w.trim());
const modes = Object.fromEntries(
  Object.entries(allModes).filter(([m]) => words === undefined || words.some((w) => m.includes(w))),
);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dirs = [root, ...(process.env.BASE ? [process.env.BASE] : [])];
const cols = dirs.map((d) => (d === root ? 'this checkout' : d));
if (process.env.FIRST) {
  // The first render after start only: a control plane started, warmed and stopped per sample.
  const k = Number(process.env.FIRST);
  const timing = dirs.map(() => []);
  const cpu = dirs.map(() => []);
  for (let r = 0; r < k; r++)
    for (const [i, dir] of dirs.entries()) {
      const cp = await controlPlane(dir);
      try {
        const c0 = cp.cpuMs();
        timing[i].push(await cp.render(text));
        cpu[i].push(cp.cpuMs() - c0);
      } finally {
        await cp.stop();
      }
    }
  console.log(`first render after start (median of ${k} starts each), 200-service app, YAML:`);
  console.log(`  ${''.padEnd(36)}${cols.map((c) => c.padStart(18)).join('')}`);
  const row = (name, xs) =>
    console.log(`  ${name.padEnd(36)}${xs.map((v) => `${median(v).toFixed(1)} ms`.padStart(18)).join('')}`);
  row('Server-Timing', timing);
  row('control plane CPU during it', cpu);
  console.log(`  samples: ${timing.map((t) => t.map((v) => v.toFixed(0)).join(' ')).join(' | ')}`);
  console.log(loadLine());
  rmSync(dirname(file), { recursive: true, force: true });
  process.exit(0);
}
const planes = [await controlPlane(root)];
try {
  if (process.env.BASE) planes.push(await controlPlane(process.env.BASE));
  const first = planes.map(() => 0);
  for (const [i, cp] of planes.entries()) first[i] = await cp.render(text);
  const samples = planes.map(() => Object.fromEntries(Object.keys(modes).map((m) => [m, []])));
  const cpu = planes.map(() => Object.fromEntries(Object.keys(modes).map((m) => [m, []])));
  const threads = planes.map(() => Object.fromEntries(Object.keys(modes).map((m) => [m, {}])));
  for (let r = 0; r < RUNS; r++)
    for (const [m, run] of Object.entries(modes))
      for (const [i, cp] of planes.entries()) {
        samples[i][m].push(await run(cp, r));
        cpu[i][m].push(cp.lastCpu);
        for (const [name, ms] of Object.entries(cp.lastThreads)) (threads[i][m][name] ??= []).push(ms);
      }
  console.log(`control plane render time (Server-Timing, median of ${RUNS}), 200-service app, YAML:`);
  console.log(`  ${'mode'.padEnd(36)}${cols.map((c) => c.padStart(18)).join('')}`);
  console.log(
    `  ${'first render after start'.padEnd(36)}${first.map((v) => `${v.toFixed(1)} ms`.padStart(18)).join('')}`,
  );
  for (const m of Object.keys(modes))
    console.log(`  ${m.padEnd(36)}${samples.map((s) => `${median(s[m]).toFixed(1)} ms`.padStart(18)).join('')}`);
  console.log(`control plane CPU per timed render (all its threads, schedstat), median of ${RUNS}:`);
  for (const m of Object.keys(modes))
    console.log(`  ${m.padEnd(36)}${cpu.map((s) => `${median(s[m]).toFixed(1)} ms`.padStart(18)).join('')}`);
  // Which threads: the main one, and the others by name (Node 20 leaves V8's helpers, GC and compilers,
  // and libuv's pool named `node`). Means, as a thread idle in most renders has a median of 0.
  console.log(`control plane CPU per timed render by thread name, mean of ${RUNS} (ms):`);
  for (const [i, col] of cols.entries())
    for (const m of Object.keys(modes)) {
      const by = Object.entries(threads[i][m])
        .map(([name, xs]) => [name, xs.reduce((a, b) => a + b, 0) / RUNS])
        .filter(([, ms]) => ms >= 0.05)
        .sort((a, b) => b[1] - a[1]);
      console.log(
        `  ${col.slice(-16).padEnd(17)}${m.padEnd(36)}${by.map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join(', ')}`,
      );
    }
  console.log(
    `  ${'RSS after the runs'.padEnd(36)}${planes.map((cp) => `${cp.rssMb().toFixed(0)} MB`.padStart(18)).join('')}`,
  );
  console.log(loadLine());
} finally {
  for (const cp of planes) await cp.stop();
  rmSync(dirname(file), { recursive: true, force: true });
}
