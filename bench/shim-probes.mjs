// The native shim's idle cost with and without probes: SHIMS_N native shims (dist/native/berth-shim), each
// running the scale benchmark's tiny HTTP service, idle for SHIMS_IDLE_S seconds. One set of shims runs an
// http readiness probe every SHIMS_PERIOD_MS (what a user's `health: { readiness: { http: ... } }` asks),
// another runs none (supervision alone). For each: the shims' CPU (each one's schedstat run time, ns), their
// wake-ups (voluntary context switches) and the probes they ran, per probe and per second. The services
// themselves (the probes' other end) are left out, as in the scale benchmark.
//
// Knobs (environment): SHIMS_N=20  SHIMS_PERIOD_MS=100  SHIMS_IDLE_S=10  SHIMS_ROUNDS=2
//   SHIMS_BEFORE=<another build's berth-shim binary>: measured too, interleaved round by round.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, sleep, waitFor } from './lib/controlPlane.mjs';
import { freePort } from './lib/ports.mjs';

const N = Number(process.env.SHIMS_N ?? 20);
const PERIOD_MS = Number(process.env.SHIMS_PERIOD_MS ?? 100);
const IDLE_S = Number(process.env.SHIMS_IDLE_S ?? 10);
const ROUNDS = Number(process.env.SHIMS_ROUNDS ?? 2);
const builds = [{ name: 'berth', shim: join(root, 'dist/native/berth-shim') }];
if (process.env.SHIMS_BEFORE) builds.unshift({ name: 'before', shim: process.env.SHIMS_BEFORE });
for (const b of builds) if (!existsSync(b.shim)) throw new Error(`no shim binary at ${b.shim} (npm run build)`);

const SVC = `import { createServer } from 'node:http';
createServer((req, res) => { res.statusCode = 200; res.end(); }).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

/** CPU ns (schedstat) and voluntary context switches of a process. */
function usage(pid) {
  const ns = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  const wakeups = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return { ns, wakeups };
}

/** One set of N shims (with or without a probe each), idle IDLE_S seconds: their CPU and wake-ups. */
async function oneSet(shim, probes, dir) {
  const shims = [];
  for (let i = 0; i < N; i++) {
    const port = await freePort();
    const replica = join(dir, `r${i}`);
    const env = { ...process.env, PORT: String(port) };
    delete env.NODE_OPTIONS;
    if (probes) env.BERTH_SHIM_PROBES = `readiness http ${port} 1000 ${PERIOD_MS} 0 3 1 25 /healthz`;
    const p = spawn(shim, [replica, '2000', '10485760', '3', '--', process.execPath, join(dir, '..', 'svc.mjs')], {
      env,
      stdio: 'ignore',
    });
    shims.push({ p, replica, port });
  }
  await waitFor('shims started', async () => shims.every((s) => existsSync(join(s.replica, 'shim.json'))), 30_000, 50);
  if (probes)
    await waitFor(
      'probes passing',
      async () =>
        shims.every((s) => {
          try {
            return JSON.parse(readFileSync(join(s.replica, 'probes.json'), 'utf8')).readiness.verdict === true;
          } catch {
            return false;
          }
        }),
      30_000,
      50,
    );
  await sleep(500);
  const before = shims.map((s) => usage(s.p.pid));
  const t0 = performance.now();
  await sleep(IDLE_S * 1000);
  const secs = (performance.now() - t0) / 1000;
  const after = shims.map((s) => usage(s.p.pid));
  await Promise.all(shims.map((s) => new Promise((r) => (s.p.once('exit', r), s.p.kill('SIGTERM')))));
  const ns = after.reduce((a, u, i) => a + u.ns - before[i].ns, 0);
  const wakeups = after.reduce((a, u, i) => a + u.wakeups - before[i].wakeups, 0);
  const probesRun = probes ? (N * secs * 1000) / PERIOD_MS : 0;
  return { cpuMsPerS: ns / 1e6 / secs, wakeupsPerS: wakeups / secs, probesRun, ns, wakeups };
}

const results = [];
const dir = mkdtempSync(join(tmpdir(), 'berth-bench-shim-probes-'));
try {
  writeFileSync(join(dir, 'svc.mjs'), SVC);
  for (let round = 0; round < ROUNDS; round++)
    for (const probes of [true, false])
      for (const b of builds) {
        const r = await oneSet(b.shim, probes, mkdtempSync(join(dir, 'set-')));
        results.push({ build: b.name, probes, ...r });
      }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  `native shims idle: ${N} shims, http readiness probe every ${PERIOD_MS} ms or none, ${IDLE_S} s, ${ROUNDS} rounds interleaved; load ${load}`,
);
const head = ['build', 'probes', 'shims ms/s', 'µs/s/shim', 'wake-ups/s/shim', 'µs CPU/probe', 'wake-ups/probe'];
const table = [head];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const b of builds)
  for (const probes of [true, false]) {
    const rs = results.filter((r) => r.build === b.name && r.probes === probes);
    const cpu = median(rs.map((r) => r.cpuMsPerS));
    const wk = median(rs.map((r) => r.wakeupsPerS));
    table.push([
      b.name,
      probes ? `http every ${PERIOD_MS} ms` : 'none',
      cpu.toFixed(2),
      ((cpu * 1000) / N).toFixed(1),
      (wk / N).toFixed(2),
      probes ? median(rs.map((r) => r.ns / 1e3 / r.probesRun)).toFixed(1) : '—',
      probes ? median(rs.map((r) => r.wakeups / r.probesRun)).toFixed(2) : '—',
    ]);
  }
const widths = head.map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const row of table)
  console.log(row.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
