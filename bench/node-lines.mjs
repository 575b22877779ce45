// Berth on this machine's Node.js beside Node 26 (and any other line), in one run, rounds interleaved:
//   - the proxy benchmark (bench/proxy.mjs, one round per Node per round here): the gateway, the
//     Node proxies it is compared with (fastify, node:http) and a Node hello-world all run on the
//     Node under test; nginx and wrk are the same native programs for both;
//   - the CLI's start: `berth --version` and `berth render --offline -o yaml examples/shop`
//     (bin/berth.js, what a user runs, its V8 code cache warm), median of whole-process runs.
// Each other Node comes from the npm registry into NODE_LINES_DIR/<major> with a copy of this
// checkout built for it (scripts/nodeLine.sh: better-sqlite3 rebuilt, dist/ copied).
//
// Env: NODE_LINES_MAJORS (comma list, default 26), NODE_LINES_DIR (default $TMPDIR/berth-node-lines),
//      NODE_LINES_ROUNDS (default 3), NODE_LINES_CLI_RUNS (runs per command and Node per round, default 10),
//      NODE_LINES_PROXY=0 (CLI only), and bench/proxy.mjs's knobs: PROXY_BENCH_ONLY (default
//      direct,berth-service,berth-edge,fastify,node-http,node-hello), PROXY_BENCH_DURATION (s, default 5),
//      PROXY_BENCH_NO_LATENCY (default 1: saturation only), NODE_LINES_KEEP_CA=1 (CLI runs keep NODE_EXTRA_CA_CERTS).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAJORS = (process.env.NODE_LINES_MAJORS ?? '26').split(',').filter(Boolean);
const DIR = process.env.NODE_LINES_DIR ?? join(tmpdir(), 'berth-node-lines');
const ROUNDS = Number(process.env.NODE_LINES_ROUNDS ?? 3);
const CLI_RUNS = Number(process.env.NODE_LINES_CLI_RUNS ?? 10);
const PROXY = process.env.NODE_LINES_PROXY !== '0';
const proxyEnv = {
  PROXY_BENCH_ONLY: process.env.PROXY_BENCH_ONLY ?? 'direct,berth-service,berth-edge,fastify,node-http,node-hello',
  PROXY_BENCH_DURATION: process.env.PROXY_BENCH_DURATION ?? '5',
  PROXY_BENCH_NO_LATENCY: process.env.PROXY_BENCH_NO_LATENCY ?? '1',
  PROXY_BENCH_ROUNDS: '1',
};
if (!existsSync(join(root, 'dist/cli/berth.cjs'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(2);
}

// The Nodes: this one, then each major from the registry with its own copy of the checkout.
const lines = [{ node: process.execPath, tree: root }];
for (const major of MAJORS) {
  if (major === process.versions.node.split('.')[0]) continue;
  console.log(`preparing Node ${major} in ${join(DIR, major)} (scripts/nodeLine.sh)...`);
  const bin = execFileSync('bash', [join(root, 'scripts/nodeLine.sh'), major, join(DIR, major)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  lines.push({ node: join(bin, 'node'), tree: join(DIR, major, 'berth') });
}
for (const l of lines) {
  l.version = execFileSync(l.node, ['--version'], { encoding: 'utf8' }).trim();
  l.proxy = [];
  l.cli = { version: [], render: [] };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

// NODE_EXTRA_CA_CERTS (set on machines with a private CA, as the CI one) makes Node 20 read the whole
// bundle at start, ~150 ms; Node 22+ reads it when TLS is first used. Neither command uses TLS: left
// out unless NODE_LINES_KEEP_CA=1, so the figures are Node's own start.
function cliEnv(l) {
  const env = { ...process.env, BERTH_HOME: join(l.tree, '.bench-node-lines-home') };
  if (process.env.NODE_LINES_KEEP_CA !== '1') delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

function timeCli(l, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(l.node, [join(l.tree, 'bin/berth.js'), ...args], {
    cwd: l.tree,
    encoding: 'utf8',
    env: cliEnv(l),
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${l.node} berth ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

const cliCommands = {
  version: ['--version'],
  render: ['render', 'examples/shop', '--offline', '-o', 'yaml'],
};

// The proxy benchmark writes bench/results/proxy.json in the tree it runs from: this checkout's is put back.
const ownProxyResult = join(root, 'bench/results/proxy.json');
const savedProxyResult = existsSync(ownProxyResult) ? readFileSync(ownProxyResult) : undefined;
const loadAtStart = loadavg()[0];
try {
  for (const l of lines) for (const args of Object.values(cliCommands)) timeCli(l, args); // code caches written
  for (let round = 1; round <= ROUNDS; round++) {
    for (const l of lines) {
      for (const [name, args] of Object.entries(cliCommands)) {
        for (let i = 0; i < CLI_RUNS; i++) l.cli[name].push(timeCli(l, args));
      }
      console.log(
        `round ${round} ${l.version}: berth --version ${median(l.cli.version).toFixed(1)} ms, render --offline ${median(l.cli.render).toFixed(1)} ms`,
      );
      if (!PROXY) continue;
      const r = spawnSync(l.node, [join(l.tree, 'bench/proxy.mjs')], {
        cwd: l.tree,
        env: { ...process.env, ...proxyEnv },
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`bench/proxy.mjs on ${l.version} failed:\n${r.stdout}\n${r.stderr}`);
      const summary = JSON.parse(readFileSync(join(l.tree, 'bench/results/proxy.json'), 'utf8')).summary;
      l.proxy.push(summary);
      console.log(
        `round ${round} ${l.version}: ${Object.entries(summary)
          .map(([n, s]) => `${n} ${s.rps}/s`)
          .join(', ')}`,
      );
    }
  }
} finally {
  if (savedProxyResult) writeFileSync(ownProxyResult, savedProxyResult);
  else rmSync(ownProxyResult, { force: true });
  for (const l of lines) rmSync(join(l.tree, '.bench-node-lines-home'), { recursive: true, force: true });
}

const rows = [];
const cell = (l, pick) => {
  const xs = pick(l).filter((x) => Number.isFinite(x));
  return xs.length ? median(xs) : undefined;
};
rows.push(['berth --version (ms, median)', (l) => l.cli.version]);
rows.push(['berth render --offline shop (ms)', (l) => l.cli.render]);
const targets = PROXY ? Object.keys(lines[0].proxy[0] ?? {}) : [];
for (const t of targets) {
  rows.push([`${t} req/s`, (l) => l.proxy.map((s) => s[t]?.rps)]);
  rows.push([`${t} cpu us/req`, (l) => l.proxy.map((s) => s[t]?.cpuUsPerRequest)]);
}
const table = rows.map(([label, pick]) => ({
  label,
  values: lines.map((l) => cell(l, pick)),
}));
const result = {
  benchmark: 'node-lines',
  date: new Date().toISOString(),
  machine: { cores: cpus().length },
  loadAverage: { start: loadAtStart, end: loadavg()[0] },
  nodes: lines.map((l) => l.version),
  rounds: ROUNDS,
  cliRuns: CLI_RUNS,
  proxy: PROXY ? proxyEnv : null,
  table,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/node-lines.json'), `${JSON.stringify(result, null, 2)}\n`);

const fmt = (x) => (x === undefined ? '-' : x >= 100 ? String(Math.round(x)) : x.toFixed(1));
const head = ['', ...lines.map((l) => l.version), ...lines.slice(1).map((l) => `${l.version}/${lines[0].version}`)];
const width = [34, ...head.slice(1).map((h) => Math.max(10, h.length))];
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
console.log(
  `\nnode-lines: medians of ${ROUNDS} interleaved rounds; load ${loadAtStart.toFixed(2)} → ${loadavg()[0].toFixed(2)} on ${cpus().length} cores`,
);
console.log(line(head));
for (const r of table) {
  const ratios = r.values.slice(1).map((v) => (v && r.values[0] ? (v / r.values[0]).toFixed(2) : '-'));
  console.log(line([r.label, ...r.values.map(fmt), ...ratios]));
}
