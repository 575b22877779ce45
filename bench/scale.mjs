// The control plane at scale: generated apps of 10, 50 and 100 tiny services in 5 dependency levels
// (and 100 services as 10 apps of 10), each deployed through a real `berth server` on a temporary home
// with `berth deploy`. Beside it, in the same run and interleaved:
//   - the shell bound: a script starting the same processes level by level (a level in parallel),
//     waiting for each to answer its readiness check before the next level;
//   - supervisord (Debian `supervisor`) running the same processes from a temporary config.
// After each deploy the platform is left idle: CPU (utime+stime deltas of /proc/<pid>/stat, in ms of
// CPU per second) and RSS of the control plane and the gateway (supervisord: its one process), the
// CPU of all the replicas' shims together (the native shim runs the http and tcp probes), then
// `berth status` (`supervisorctl status`) as a whole process, median of N.
//
// Knobs (environment): SCALE_SIZES=10,50,100,10x10  SCALE_IDLE_S=20  SCALE_STATUS_N=7
//   SCALE_BEFORE=<path to another build's dist/cli/main.js>: measures that build too, interleaved.
//   SCALE_THREADS=1: each thread's CPU in the idle window (stderr), and the window's bounds for --cpu-prof.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cli, processesOf, root, startControlPlane, sleep, waitFor } from './lib/controlPlane.mjs';
import { startSupervisord } from './lib/supervisord.mjs';
import { freePort } from './lib/ports.mjs';

const execFileP = promisify(execFile);
const LEVELS = 5;
const sizes = (process.env.SCALE_SIZES ?? '10,50,100,10x10').split(',').map((s) => s.trim());
const IDLE_S = Number(process.env.SCALE_IDLE_S ?? 20);
const STATUS_N = Number(process.env.SCALE_STATUS_N ?? 7);
const builds = [{ name: 'berth', cli }];
if (process.env.SCALE_BEFORE) builds.unshift({ name: 'before', cli: process.env.SCALE_BEFORE });
const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

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
    list.push({ name, dir: appDir, levels });
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

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
}
/** Time the process has run on a CPU, in ns (/proc/<pid>/schedstat, first field). */
function runNs(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0; // ended meanwhile
  }
}
function rssMb(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
/** Each thread's name and utime+stime ticks (/proc/<pid>/task/<tid>/stat). */
function threadTicks(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}
/** CPU ms per second of each pid over IDLE_S seconds of idling, and RSS at the end. With SCALE_THREADS=1,
 * each thread's share is printed to stderr, and the window's bounds in the monotonic clock of --cpu-prof. */
async function idle(pids, labels) {
  const before = pids.map(cpuTicks);
  const threads = process.env.SCALE_THREADS === '1' ? pids.map(threadTicks) : null;
  const t0 = performance.now();
  const mark0 = process.hrtime.bigint() / 1000n;
  await sleep(IDLE_S * 1000);
  const secs = (performance.now() - t0) / 1000;
  if (threads) {
    console.error(`scale: idle window ${mark0}..${process.hrtime.bigint() / 1000n} µs (monotonic, as --cpu-prof)`);
    pids.forEach((pid, i) => {
      const parts = [];
      for (const [tid, t] of threadTicks(pid)) {
        const ms = ((t.ticks - (threads[i].get(tid)?.ticks ?? 0)) * (1000 / TICKS)) / secs;
        if (ms > 0) parts.push(`${t.name}#${tid} ${ms.toFixed(1)}`);
      }
      console.error(`scale: ${labels[i]} threads ms/s: ${parts.join(', ')}`);
    });
  }
  return pids.map((pid, i) => ({
    cpuMsPerS: ((cpuTicks(pid) - before[i]) * (1000 / TICKS)) / secs,
    rssMb: rssMb(pid),
  }));
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
    const gw = JSON.parse(readFileSync(join(cp.home, 'gateway', 'gateway.json'), 'utf8')).pid;
    await sleep(2000); // let the deploy's own work settle
    // The replicas' shims (native berth-shim or the Node shim.js): their CPU is the supervision's too
    // (the native shim runs the http and tcp probes itself).
    const shims = processesOf(cp.home)
      .filter((p) =>
        /(^|\/)berth-shim$|(^|\/)shim\.js$/.test(
          p.cmd
            .split(' ')
            .slice(0, 2)
            .find((a) => /shim/.test(a)) ?? '',
        ),
      )
      .map((p) => p.pid);
    // In ns (/proc/<pid>/schedstat): one shim's CPU in a minute is less than the 10 ms tick /proc/<pid>/stat counts in.
    const shimNs = () => shims.reduce((sum, pid) => sum + (existsSync(`/proc/${pid}`) ? runNs(pid) : 0), 0);
    const s0 = shimNs();
    const t0Idle = performance.now();
    const [cpIdle, gwIdle] = await idle([cp.proc.pid, gw], [`${build.name} cp`, `${build.name} gw`]);
    const shimsMsPerS = (shimNs() - s0) / 1e6 / ((performance.now() - t0Idle) / 1000);
    const statusMs = await timeCommand(process.execPath, [build.cli, 'status', w.apps[0].name], cp.env);
    return { deployMs, cp: cpIdle, gw: gwIdle, shims: { count: shims.length, cpuMsPerS: shimsMsPerS }, statusMs };
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
    await sleep(2000);
    const [idleCpu] = await idle([sup.proc.pid], ['supervisord']);
    const statusMs = await timeCommand('supervisorctl', ['-c', sup.conf, 'status'], process.env);
    return { startMs, sup: idleCpu, statusMs };
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
  `control plane at scale; 5 dependency levels; idle ${IDLE_S} s; status median of ${STATUS_N}; load ${load}`,
);
const head = [
  'workload',
  'build',
  'deploy ms',
  'bound ms',
  '×bound',
  'cp ms/s',
  'gw ms/s',
  'shims ms/s',
  'supd ms/s',
  '(cp+gw)/supd',
  'cp RSS MB',
  'gw RSS MB',
  'supd RSS MB',
  'status ms',
  'supctl ms',
];
const table = [head];
for (const r of rows)
  for (const b of builds) {
    const m = r[b.name];
    table.push([
      `${r.services} svc${r.apps > 1 ? ` / ${r.apps} apps` : ''}`,
      b.name,
      f0(m.deployMs),
      f0(r.boundMs),
      f2(m.deployMs / r.boundMs),
      f1(m.cp.cpuMsPerS),
      f1(m.gw.cpuMsPerS),
      f1(m.shims.cpuMsPerS),
      f2(r.supervisord.sup.cpuMsPerS),
      f1((m.cp.cpuMsPerS + m.gw.cpuMsPerS) / Math.max(r.supervisord.sup.cpuMsPerS, 0.05)),
      f0(m.cp.rssMb),
      f0(m.gw.rssMb),
      f0(r.supervisord.sup.rssMb),
      f0(m.statusMs),
      f0(r.supervisord.statusMs),
    ]);
  }
const widths = head.map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const row of table)
  console.log(row.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
const single = rows.filter((r) => r.apps === 1);
if (single.length >= 2) {
  const [a, z] = [single[0], single.at(-1)];
  for (const b of builds)
    console.log(
      `${b.name}, ${a.services} → ${z.services} services: deploy ×${f2(z[b.name].deployMs / a[b.name].deployMs)}, ` +
        `cp CPU ×${f1(z[b.name].cp.cpuMsPerS / Math.max(a[b.name].cp.cpuMsPerS, 0.05))}, cp RSS ×${f2(z[b.name].cp.rssMb / a[b.name].cp.rssMb)}, ` +
        `status ×${f2(z[b.name].statusMs / a[b.name].statusMs)} (supervisord CPU ×${f1(z.supervisord.sup.cpuMsPerS / Math.max(a.supervisord.sup.cpuMsPerS, 0.05))})`,
    );
}
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/scale.json'),
  `${JSON.stringify({ benchmark: 'scale', load, idleS: IDLE_S, rows }, null, 2)}\n`,
);
