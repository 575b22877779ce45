// Supervision: what it costs to keep N tiny services supervised, and to start them, beside the
// tools a user would otherwise pick. In the same run, interleaved round by round:
//   berth-native  `berth deploy` of N services, each replica under the native shim (dist/native/berth-shim)
//   berth-node    the same under the Node shim (BERTH_SHIM=node, with its warm pool)
//   supervisord   Debian's supervisor, N [program:] sections, `supervisord -n -c` in a temp dir
//   shell         a shell loop starting the N processes in the background (no supervision at all)
// Every service is the same small Node HTTP server (test/apps/hello/server.mjs) on its own port.
//
// Reported per variant: the supervision's memory per replica (RSS and PSS of the supervising
// processes, from /proc/<pid>/smaps_rollup, summed and divided by N: the shims, the idle warm shims
// of the Node pool, supervisord itself), the control plane's own RSS (berth server + its gateway),
// and the time to start N replicas until every one answers on its port (for Berth: the
// `berth deploy` wall clock, CLI start to exit, readiness probes included).
//
// Knobs (environment): SUPERVISION_N (services, default 30), SUPERVISION_ROUNDS (default 1),
// SUPERVISION_VARIANTS (comma list, default all four), KEEP=1 keeps the temp dirs.
import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, HELLO, root, processesOf, sleep, startControlPlane, waitFor } from './lib/controlPlane.mjs';
import { freePort } from './lib/ports.mjs';
import { startSupervisord } from './lib/supervisord.mjs';

const N = Number(process.env.SUPERVISION_N ?? 30);
const ROUNDS = Number(process.env.SUPERVISION_ROUNDS ?? 1);
const ALL = ['berth-native', 'berth-node', 'supervisord', 'shell'];
const VARIANTS = (process.env.SUPERVISION_VARIANTS ?? ALL.join(',')).split(',').filter((v) => ALL.includes(v));
const NATIVE = join(root, 'dist/native/berth-shim');
/** Let memory settle after the start (page faults of the first requests, the warm pool's refill). */
const SETTLE_MS = 2000;

/** RSS and PSS in kB of one process (smaps_rollup), zeros when it is gone. */
function memOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rssKb: kb('Rss'), pssKb: kb('Pss') };
  } catch {
    return { rssKb: 0, pssKb: 0 };
  }
}
const sumMem = (pids) =>
  pids.map(memOf).reduce((a, m) => ({ rssKb: a.rssKb + m.rssKb, pssKb: a.pssKb + m.pssKb }), { rssKb: 0, pssKb: 0 });

function portOpen(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
async function allListening(ports) {
  const open = await Promise.all(ports.map(portOpen));
  return open.every(Boolean);
}

/** The app: N services of the hello server, readiness by TCP every 100 ms. */
function writeApp() {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-supervision-app-'));
  copyFileSync(HELLO, join(dir, 'server.mjs'));
  const lines = ['name: sup', 'services:'];
  for (let i = 0; i < N; i++) {
    lines.push(`  s${i}:`, '    command: [node, server.mjs]');
    lines.push('    health: { readiness: { tcp: {}, period: 100ms } }', '    terminationGracePeriod: 2s');
  }
  writeFileSync(join(dir, 'berth.yaml'), `${lines.join('\n')}\n`);
  return dir;
}

/** Pids of the shims under `home`: from every replica's shim.json, plus the Node pool's idle shims. */
function shimPids(home) {
  const pids = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'shim.json') pids.push(JSON.parse(readFileSync(p, 'utf8')).shimPid);
    }
  };
  walk(join(home, 'run'));
  const warm = processesOf(home)
    .filter((p) => p.cmd.includes(' --warm '))
    .map((p) => p.pid);
  return { replicas: pids, warm };
}

async function berth(kind, app) {
  process.env.BERTH_SHIM = kind; // startControlPlane passes our environment on
  const cp = await startControlPlane('berth-bench-supervision-');
  try {
    const t0 = performance.now();
    execFileSync(process.execPath, [cli, 'deploy', app, '-m', 'bench'], { env: cp.env, stdio: 'ignore' });
    const startMs = performance.now() - t0;
    await sleep(SETTLE_MS);
    const { replicas, warm } = shimPids(cp.home);
    if (replicas.length !== N) throw new Error(`${kind}: ${replicas.length} shims for ${N} services`);
    const exe = readFileSync(`/proc/${replicas[0]}/cmdline`, 'utf8').split('\0')[0];
    if ((kind === 'native') !== (exe === NATIVE)) throw new Error(`${kind}: the replicas run under ${exe}`);
    const shims = sumMem(replicas);
    const pool = sumMem(warm);
    const server = memOf(cp.proc.pid);
    const gateway = sumMem(
      processesOf(cp.home)
        .filter((p) => /gateway/.test(p.cmd))
        .map((p) => p.pid),
    );
    execFileSync(process.execPath, [cli, 'down', 'sup'], { env: cp.env, stdio: 'ignore' });
    return {
      startMs,
      perReplica: { rssKb: shims.rssKb / N, pssKb: shims.pssKb / N },
      withPool: { rssKb: (shims.rssKb + pool.rssKb) / N, pssKb: (shims.pssKb + pool.pssKb) / N },
      warmShims: warm.length,
      controlPlaneRssKb: server.rssKb + gateway.rssKb,
      serverRssKb: server.rssKb,
    };
  } finally {
    await cp.teardown();
  }
}

async function supervisord(app) {
  const ports = [];
  for (let i = 0; i < N; i++) ports.push(await freePort());
  const programs = ports.map((port, i) => ({
    name: `s${i}`,
    lines: () => [
      `command=${process.execPath} server.mjs`,
      `directory=${app}`,
      `environment=PORT="${port}"`,
      'autorestart=true',
      'stopasgroup=true',
      'killasgroup=true',
    ],
  }));
  const t0 = performance.now();
  const sup = startSupervisord(programs, { keep: Boolean(process.env.KEEP) });
  try {
    await waitFor('supervisord services', () => allListening(ports), 120_000, 20);
    const startMs = performance.now() - t0;
    await sleep(SETTLE_MS);
    const m = memOf(sup.proc.pid);
    return { startMs, perReplica: { rssKb: m.rssKb / N, pssKb: m.pssKb / N }, controlPlaneRssKb: m.rssKb };
  } finally {
    await sup.stop();
  }
}

async function shell(app) {
  const ports = [];
  for (let i = 0; i < N; i++) ports.push(await freePort());
  const script = `${ports.map((p) => `PORT=${p} "${process.execPath}" server.mjs >/dev/null 2>&1 &`).join('\n')}\nwait\n`;
  const t0 = performance.now();
  const sh = spawn('/bin/sh', ['-c', script], { cwd: app, stdio: 'ignore', detached: true });
  try {
    await waitFor('shell-started services', () => allListening(ports), 120_000, 20);
    return { startMs: performance.now() - t0 };
  } finally {
    process.kill(-sh.pid, 'SIGTERM');
    await new Promise((r) => sh.once('exit', r));
  }
}

if (!existsSync(cli)) throw new Error('build first: npm run build');
if (VARIANTS.includes('berth-native') && !existsSync(NATIVE))
  throw new Error(`${NATIVE} was not built (no C compiler at npm run build?)`);
const app = writeApp();
const results = Object.fromEntries(VARIANTS.map((v) => [v, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with the next variant, so none always runs first (on a loaded machine, order matters).
    for (const v of [...VARIANTS.slice(round % VARIANTS.length), ...VARIANTS.slice(0, round % VARIANTS.length)]) {
      const r =
        v === 'berth-native'
          ? await berth('native', app)
          : v === 'berth-node'
            ? await berth('node', app)
            : v === 'supervisord'
              ? await supervisord(app)
              : await shell(app);
      results[v].push(r);
      console.error(`round ${round + 1}/${ROUNDS} ${v}: started ${N} in ${Math.round(r.startMs)} ms`);
    }
  }
} finally {
  if (!process.env.KEEP) rmSync(app, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = (v, f) => (results[v]?.length ? median(results[v].map(f).filter((x) => x !== undefined)) : undefined);
const mb = (kb) => (kb === undefined ? '—' : `${(kb / 1024).toFixed(2)} MB`);
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const base = { rss: med('supervisord', (r) => r.perReplica.rssKb), start: med('shell', (r) => r.startMs) };
const ratio = (x, b) => (x === undefined || !b ? '—' : `${(x / b).toFixed(2)}×`);
const rows = VARIANTS.map((v) => {
  const rss = med(v, (r) => r.perReplica?.rssKb);
  const start = med(v, (r) => r.startMs);
  return {
    variant: v,
    'RSS/replica': mb(rss),
    'PSS/replica': mb(med(v, (r) => r.perReplica?.pssKb)),
    '+warm pool RSS/replica': mb(med(v, (r) => r.withPool?.rssKb)),
    'vs supervisord': ratio(rss, base.rss),
    'control plane RSS': mb(med(v, (r) => r.controlPlaneRssKb)),
    [`start ${N}`]: start === undefined ? '—' : `${Math.round(start)} ms`,
    'vs shell': ratio(start, base.start),
  };
});
console.log(`supervision of ${N} services (hello server), median of ${ROUNDS} round(s), load ${load}`);
console.table(rows);
console.log(
  'RSS/PSS per replica: the supervising processes (shims; supervisord) summed over N; control plane: berth server + gateway',
);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/supervision.json'),
  `${JSON.stringify({ benchmark: 'supervision', n: N, rounds: ROUNDS, load, results }, null, 2)}\n`,
);
