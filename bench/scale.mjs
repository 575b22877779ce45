// The control plane at scale: generated apps of 10, 50 and 100 tiny services in 5 dependency levels
// (and 100 services as 10 apps of 10), each deployed through a real `berth server` on a temporary home
// with `berth deploy`. Beside it, in the same run and interleaved:
//   - the shell bound: a script starting the same processes level by level (a level in parallel),
//     waiting for each to answer its readiness check before the next level;
//   - supervisord (Debian `supervisor`) running the same processes from a temporary config.
// After each deploy the platform is left idle: CPU (each thread's schedstat run time, in ms of CPU per
// second) and memory of every process Berth runs for supervision and routing, in columns: the control
// plane (cp), the Node gateway and its workers (gw), HAProxy's master and workers (hap), the replicas'
// shims (their sum, and per shim; memory as PSS) and their total (berth), against supervisord's one
// process (the services are left out on both sides); then `berth status` (`supervisorctl status`) as a
// whole process, median of N.
//
// Knobs (environment): SCALE_SIZES=10,50,100,10x10  SCALE_IDLE_S=20  SCALE_STATUS_N=7
//   SCALE_BEFORE=<path to another build's dist/cli/main.js>: measures that build too, interleaved.
//   SCALE_SETTLE_S=2: seconds between the end of the start (Berth's deploy, supervisord's programs ready)
//     and the idle window, the same for both: a longer one leaves the deploy's own aftermath (its garbage
//     collected, code compiled in the background) out of the idle figure.
//   SCALE_THREADS=1: each thread's CPU in the idle window (stderr) and how often it ran (runs/s: its
//     wake-ups, schedstat's third field), and the window's bounds for --cpu-prof.
//   SCALE_SUPD_WINDOWS=3: supervisord's idle is read in this many back-to-back windows of SCALE_IDLE_S each
//     (after one settle); `supd ms/s` is their median and `supd range` their lowest–highest, and `berth/supd`
//     divides by the median: supervisord's own reading of the same quiet programs moves several-fold between
//     windows (0.2–2.1 ms/s at 10–100 programs), so one window made the ratio mean little.
//   SCALE_NO_PROBES=0: skips the run of this build without probes. By default the workload is also deployed
//     once more with no `health` (the row `no probes`): supervisord probes nothing, so that row is Berth's
//     supervision and routing alone, and `probes ms/s` (the shims' CPU with probes less without) what the
//     readiness probes the app asks for cost; Berth's figure (`berth ms/s`) keeps them.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cli, root, startControlPlane, sleep, waitFor } from './lib/controlPlane.mjs';
import { startSupervisord } from './lib/supervisord.mjs';
import { freePort } from './lib/ports.mjs';
import { berthProcesses, cpuSnapshot, groupUsage } from './lib/berthProcesses.mjs';

const execFileP = promisify(execFile);
const LEVELS = 5;
const sizes = (process.env.SCALE_SIZES ?? '10,50,100,10x10').split(',').map((s) => s.trim());
const IDLE_S = Number(process.env.SCALE_IDLE_S ?? 20);
const SETTLE_S = Number(process.env.SCALE_SETTLE_S ?? 2);
const STATUS_N = Number(process.env.SCALE_STATUS_N ?? 7);
const builds = [{ name: 'berth', cli }];
if (process.env.SCALE_BEFORE) builds.unshift({ name: 'before', cli: process.env.SCALE_BEFORE });
const NO_PROBES = process.env.SCALE_NO_PROBES !== '0';
const SUPD_WINDOWS = Math.max(1, Number(process.env.SCALE_SUPD_WINDOWS ?? 3));

// Deterministic readiness delays (ms from process start to ready), 150..450.
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

const SVC = `import { createServer } from 'node:http';
const readyAt = performance.timeOrigin + Number(process.env.READY_AFTER_MS);
createServer((req, res) => { res.statusCode = Date.now() >= readyAt ? 200 : 503; res.end(); })
  .listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

/** A generated workload: `apps` apps of `perApp` services in LEVELS levels, written to a temp dir. */
function workload(label) {
  const [apps, perApp] = label.includes('x') ? label.split('x').map(Number) : [1, Number(label)];
  const perLevel = Math.max(1, Math.floor(perApp / LEVELS));
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-scale-'));
  writeFileSync(join(dir, 'svc.mjs'), SVC);
  const list = [];
  for (let a = 0; a < apps; a++) {
    const name = apps === 1 ? 'scale' : `scale${a}`;
    const appDir = join(dir, name);
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'svc.mjs'), SVC);
    const levels = Array.from({ length: LEVELS }, (_, l) =>
      Array.from({ length: perLevel }, (_, i) => ({ name: `s${l}-${i}`, delay: 150 + Math.round(rand() * 300) })),
    );
    const lines = [`name: ${name}`, 'services:'];
    levels.forEach((level, l) => {
      for (const s of level) {
        lines.push(`  ${s.name}:`, `    command: [node, svc.mjs]`, `    env: { READY_AFTER_MS: "${s.delay}" }`);
        lines.push(`    health: { readiness: { http: { path: /healthz }, period: 10s } }`);
        lines.push(`    terminationGracePeriod: 2s`);
        if (l > 0) lines.push(`    dependsOn: [${levels[l - 1].map((p) => p.name).join(', ')}]`);
      }
    });
    writeFileSync(join(appDir, 'berth.yaml'), `${lines.join('\n')}\n`);
    // The same app without probes (same names, commands and order), for the `no probes` row.
    const bare = `${appDir}-noprobe`;
    mkdirSync(bare);
    writeFileSync(join(bare, 'svc.mjs'), SVC);
    writeFileSync(join(bare, 'berth.yaml'), `${lines.filter((l) => !l.includes('health:')).join('\n')}\n`);
    list.push({ name, dir: appDir, levels, bare });
  }
  return { label, services: apps * perLevel * LEVELS, apps: list, dir };
}

const ready = async (port) => {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
  } catch {
    return false;
  }
};

/** Starts every app's levels in order (apps side by side), waiting for readiness; returns ms. */
async function shellBound(w) {
  const procs = [];
  const t0 = performance.now();
  try {
    await Promise.all(
      w.apps.map(async (app) => {
        for (const level of app.levels) {
          const ports = await Promise.all(level.map(() => freePort()));
          level.forEach((s, i) => {
            procs.push(
              spawn('node', ['svc.mjs'], {
                cwd: app.dir,
                env: { ...process.env, PORT: String(ports[i]), READY_AFTER_MS: String(s.delay) },
                stdio: 'ignore',
              }),
            );
          });
          await waitFor(
            'shell-started level',
            async () => (await Promise.all(ports.map(ready))).every(Boolean),
            120_000,
            20,
          );
        }
      }),
    );
    return performance.now() - t0;
  } finally {
    await Promise.all(
      procs.map((p) => (p.exitCode === null ? new Promise((r) => (p.once('exit', r), p.kill('SIGKILL'))) : null)),
    );
  }
}

/** Each thread's name, CPU ns and times it ran (each wake-up is one; /proc/<pid>/task/<tid>/schedstat). */
function threadNs(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [ns, , runs] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      out.set(tid, { name, ns, runs });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}
/** CPU ms per second and memory of each group of processes (`groupsNow()`: name → pids, read at the start and
 * at the end of the window) over IDLE_S seconds of idling. With SCALE_THREADS=1, each thread's share of the
 * groups' first processes (not every shim) is printed to stderr, and the window's bounds in the monotonic clock
 * of --cpu-prof. */
async function idle(groupsNow, label) {
  const groups = groupsNow();
  const before = cpuSnapshot(groups);
  const watched = Object.entries(groups).flatMap(([g, pids]) =>
    pids.slice(0, g === 'shims' ? 1 : 4).map((p) => [g, p]),
  );
  const threads = process.env.SCALE_THREADS === '1' ? watched.map(([, p]) => threadNs(p)) : null;
  const t0 = performance.now();
  const mark0 = process.hrtime.bigint() / 1000n;
  await sleep(IDLE_S * 1000);
  const secs = (performance.now() - t0) / 1000;
  if (threads) {
    console.error(
      `scale: ${label} idle window ${mark0}..${process.hrtime.bigint() / 1000n} µs (monotonic, as --cpu-prof)`,
    );
    watched.forEach(([g, pid], i) => {
      const parts = [];
      try {
        for (const [tid, t] of threadNs(pid)) {
          const ms = (t.ns - (threads[i].get(tid)?.ns ?? 0)) / 1e6 / secs;
          const runs = (t.runs - (threads[i].get(tid)?.runs ?? 0)) / secs;
          if (ms >= 0.05) parts.push(`${t.name}#${tid} ${ms.toFixed(2)} (${runs.toFixed(1)} runs/s)`);
        }
      } catch {
        parts.push('(gone)');
      }
      console.error(`scale: ${label} ${g} ${pid} threads ms/s: ${parts.join(', ')}`);
    });
  }
  const after = groupsNow();
  if (after.unknown?.length)
    console.error(`scale: ${label}: processes of the home in no group (not counted): ${after.unknown.join(' ')}`);
  return groupUsage(after, before, secs);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timeCommand(cmd, args, env) {
  const times = [];
  for (let i = 0; i < STATUS_N; i++) {
    const t0 = performance.now();
    await execFileP(cmd, args, { env, maxBuffer: 20 << 20 });
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function berth(build, w) {
  const cp = await startControlPlane('berth-bench-scale-home-', { cliPath: build.cli });
  try {
    const t0 = performance.now();
    await Promise.all(
      w.apps.map(async (app) => {
        const r = await cp.cli(['deploy', app.dir, '-m', 'scale']);
        if (r.code !== 0) throw new Error(`berth deploy ${app.name} (${build.name}) failed: ${r.stderr || r.stdout}`);
      }),
    );
    const deployMs = performance.now() - t0;
    await sleep(SETTLE_S * 1000); // let the deploy's own work settle
    const usage = await idle(() => berthProcesses(cp.home, cp.proc.pid), build.name);
    const statusMs = await timeCommand(process.execPath, [build.cli, 'status', w.apps[0].name], cp.env);
    return { deployMs, ...usage, statusMs };
  } finally {
    await cp.teardown();
  }
}

async function supervisord(w) {
  const programs = [];
  const ports = [];
  for (const app of w.apps)
    for (const [l, level] of app.levels.entries())
      for (const s of level) {
        const port = await freePort();
        ports.push(port);
        const name = `${app.name}-${s.name}`;
        programs.push({
          name,
          lines: (dir) => [
            'command=node svc.mjs',
            `directory=${app.dir}`,
            `environment=PORT="${port}",READY_AFTER_MS="${s.delay}"`,
            `priority=${100 + l}`,
            'autorestart=true',
            'startsecs=0',
            'stopsignal=TERM',
            `stdout_logfile=${dir}/${name}.out`,
            `stderr_logfile=${dir}/${name}.err`,
          ],
        });
      }
  const sup = startSupervisord(programs);
  try {
    const t0 = performance.now();
    await waitFor(
      'supervisord programs',
      async () => (await Promise.all(ports.map(ready))).every(Boolean),
      180_000,
      50,
    );
    const startMs = performance.now() - t0;
    await sleep(SETTLE_S * 1000);
    const windows = [];
    for (let i = 0; i < SUPD_WINDOWS; i++)
      windows.push((await idle(() => ({ sup: [sup.proc.pid] }), `supervisord window ${i + 1}`)).sup);
    const cpu = windows.map((u) => u.cpuMsPerS);
    console.error(`scale: supervisord windows ms/s: ${cpu.map((x) => x.toFixed(2)).join(' ')}`);
    // The median window's CPU (memory from the last window), and every window's for the range.
    const idleUse = { ...windows.at(-1), cpuMsPerS: median(cpu), windowsMsPerS: cpu };
    const statusMs = await timeCommand('supervisorctl', ['-c', sup.conf, 'status'], process.env);
    return { startMs, sup: idleUse, statusMs };
  } finally {
    await sup.stop();
  }
}

const rows = [];
for (const label of sizes) {
  const w = workload(label);
  try {
    const row = { label, services: w.services, apps: w.apps.length };
    row.boundMs = await shellBound(w);
    for (const b of builds) row[b.name] = await berth(b, w);
    if (NO_PROBES) row.bare = await berth(builds.at(-1), { ...w, apps: w.apps.map((a) => ({ ...a, dir: a.bare })) });
    row.supervisord = await supervisord(w);
    rows.push(row);
    console.error(`scale: ${label} measured`);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
}

const f0 = (n) => (Number.isFinite(n) ? Math.round(n).toString() : '—');
const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '—');
const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : '—');
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  `control plane at scale; 5 dependency levels; idle ${IDLE_S} s after ${SETTLE_S} s (supervisord: median of ${SUPD_WINDOWS} windows); status median of ${STATUS_N}; load ${load}`,
);
const head = [
  'workload',
  'build',
  'deploy ms',
  'bound ms',
  '×bound',
  'cp ms/s',
  'gw ms/s',
  'hap ms/s',
  'shims ms/s',
  'probes ms/s',
  'µs/s/shim',
  'berth ms/s',
  'supd ms/s',
  'supd range',
  'berth/supd',
  'cp RSS MB',
  'gw RSS MB',
  'hap RSS MB',
  'shims PSS MB',
  'berth MB',
  'supd RSS MB',
  'berth/supd MB',
  'status ms',
  'supctl ms',
];
/** Berth's whole supervision and routing: every group's CPU; RSS of each, PSS of the shims (shared C library pages
 * counted once, as the supervision benchmark does). */
const berthCpu = (m) => m.cp.cpuMsPerS + m.gw.cpuMsPerS + m.haproxy.cpuMsPerS + m.shims.cpuMsPerS;
const berthMb = (m) => m.cp.rssMb + m.gw.rssMb + m.haproxy.rssMb + m.shims.pssMb;
const table = [head];
for (const r of rows)
  for (const b of [...builds.map((x) => x.name), ...(r.bare ? ['bare'] : [])]) {
    const m = r[b];
    const supd = r.supervisord.sup;
    // The probes' own cost: this build's shims with probes less the same shims without (the `no probes` run).
    const probes = r.bare && b === builds.at(-1).name ? m.shims.cpuMsPerS - r.bare.shims.cpuMsPerS : NaN;
    table.push([
      `${r.services} svc${r.apps > 1 ? ` / ${r.apps} apps` : ''}`,
      b === 'bare' ? 'no probes' : b,
      f0(m.deployMs),
      f0(r.boundMs),
      f2(m.deployMs / r.boundMs),
      f1(m.cp.cpuMsPerS),
      f1(m.gw.cpuMsPerS),
      f1(m.haproxy.cpuMsPerS),
      f1(m.shims.cpuMsPerS),
      f1(probes),
      f1((m.shims.cpuMsPerS * 1000) / Math.max(m.shims.count, 1)),
      f1(berthCpu(m)),
      f2(supd.cpuMsPerS),
      `${f2(Math.min(...supd.windowsMsPerS))}–${f2(Math.max(...supd.windowsMsPerS))}`,
      f1(berthCpu(m) / Math.max(supd.cpuMsPerS, 0.05)),
      f0(m.cp.rssMb),
      f0(m.gw.rssMb),
      f0(m.haproxy.rssMb),
      f1(m.shims.pssMb),
      f0(berthMb(m)),
      f0(supd.rssMb),
      f1(berthMb(m) / supd.rssMb),
      f0(m.statusMs),
      f0(r.supervisord.statusMs),
    ]);
  }
const widths = head.map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const row of table)
  console.log(row.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
for (const r of rows.filter((x) => x.bare)) {
  const m = r[builds.at(-1).name];
  const probes = m.shims.cpuMsPerS - r.bare.shims.cpuMsPerS;
  console.log(
    `${r.services} svc${r.apps > 1 ? ` / ${r.apps} apps` : ''}: berth ${f1(berthCpu(m))} ms/s = supervision and routing ` +
      `${f1(berthCpu(m) - probes)} + the app's readiness probes ${f1(probes)} (its shims with probes ${f1(m.shims.cpuMsPerS)}, ` +
      `without ${f2(r.bare.shims.cpuMsPerS)}); without probes, all of Berth ${f1(berthCpu(r.bare))}; supervisord (no probes) ${f2(r.supervisord.sup.cpuMsPerS)} (median)`,
  );
}
const single = rows.filter((r) => r.apps === 1);
if (single.length >= 2) {
  const [a, z] = [single[0], single.at(-1)];
  for (const b of builds)
    console.log(
      `${b.name}, ${a.services} → ${z.services} services: deploy ×${f2(z[b.name].deployMs / a[b.name].deployMs)}, ` +
        `cp CPU ×${f1(z[b.name].cp.cpuMsPerS / Math.max(a[b.name].cp.cpuMsPerS, 0.05))}, ` +
        `berth CPU ×${f1(berthCpu(z[b.name]) / Math.max(berthCpu(a[b.name]), 0.05))}, cp RSS ×${f2(z[b.name].cp.rssMb / a[b.name].cp.rssMb)}, ` +
        `status ×${f2(z[b.name].statusMs / a[b.name].statusMs)} (supervisord CPU ×${f1(z.supervisord.sup.cpuMsPerS / Math.max(a.supervisord.sup.cpuMsPerS, 0.05))})`,
    );
}
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/scale.json'),
  `${JSON.stringify({ benchmark: 'scale', load, idleS: IDLE_S, rows }, null, 2)}\n`,
);
