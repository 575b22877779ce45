// TCP services: a Redis server reached through a Berth L4 address, beside a direct connection and
// beside a plain HAProxy `mode tcp` in front of the same redis, each driven by redis-benchmark:
//
//   direct          redis-benchmark → redis-server
//   berth-node      → the gateway process (Node data plane: net server piping to the replica)
//   berth-haproxy   → a gateway started with `--data-plane haproxy` (HAProxy mode tcp, driven by it)
//   haproxy         → HAProxy 2.6 `mode tcp` (one thread), configured by hand
//
// Throughput: `redis-benchmark -t ping,set,get -q -n N` (50 clients, keep-alive connections);
// connections per second: `-t ping -k 0` (a new connection for every request). Rounds interleaved,
// the median per target reported, with its ratio to direct.
//
// Env: TCP_BENCH_N (requests per test, default 20000), TCP_BENCH_ROUNDS (default 3).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from './lib/ports.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.TCP_BENCH_N ?? 20000);
const ROUNDS = Number(process.env.TCP_BENCH_ROUNDS ?? 3);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const bin = (path) => (existsSync(path) ? path : undefined);
const redisServer = bin('/usr/bin/redis-server');
const redisBenchmark = bin('/usr/bin/redis-benchmark');
const haproxy = bin('/usr/sbin/haproxy');
if (!redisServer || !redisBenchmark || !haproxy) {
  console.error(
    'tcp benchmark needs redis-server, redis-tools and haproxy: apt-get install -y redis-server redis-tools haproxy',
  );
  process.exit(2);
}
const gatewayDist = join(root, 'dist/gateway/control.js');
if (!existsSync(gatewayDist)) {
  console.error('dist/gateway is missing: run `npm run build` first');
  process.exit(2);
}

async function waitPort(port) {
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('/usr/bin/redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8' });
    if (r.stdout?.trim() === 'PONG') return;
    await sleep(50);
  }
  throw new Error(`nothing answers PING on ${port}`);
}

const work = mkdtempSync(join(tmpdir(), 'berth-bench-tcp-'));
const children = [];
const controls = [];
async function cleanup() {
  for (const c of controls) await c.stop().catch(() => undefined);
  for (const c of children) c.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  const redisPort = await freePort();
  children.push(
    spawn(redisServer, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    }),
  );
  await waitPort(redisPort);

  const { createGatewayControl } = await import(pathToFileURL(gatewayDist).href);
  const targets = { direct: redisPort };
  for (const plane of ['node', 'haproxy']) {
    const control = createGatewayControl({ home: join(work, `home-${plane}`), dataPlane: plane });
    controls.push(control);
    await control.ensureRunning();
    const port = await freePort();
    await control.update((t) => {
      t.tcp = [
        {
          key: 'bench/local/redis',
          name: 'redis',
          port,
          graceMs: 5000,
          backends: [{ id: 'redis-1', host: '127.0.0.1', port: redisPort }],
        },
      ];
      t.generation++;
    });
    targets[`berth-${plane}`] = port;
  }
  const plainPort = await freePort();
  mkdirSync(join(work, 'haproxy'), { recursive: true });
  const cfg = join(work, 'haproxy', 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      '  nbthread 1',
      'defaults',
      '  mode tcp',
      '  timeout connect 1s',
      '  timeout client 1h',
      '  timeout server 1h',
      'frontend redis',
      `  bind 127.0.0.1:${plainPort}`,
      '  default_backend redis',
      'backend redis',
      '  balance leastconn',
      `  server r1 127.0.0.1:${redisPort}`,
      '',
    ].join('\n'),
  );
  children.push(spawn(haproxy, ['-db', '-f', cfg], { stdio: 'ignore' }));
  targets.haproxy = plainPort;
  for (const port of Object.values(targets)) await waitPort(port);

  /** requests per second per test name of one redis-benchmark run. */
  function run(port, args) {
    const r = spawnSync(redisBenchmark, ['-h', '127.0.0.1', '-p', String(port), '-q', ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const out = {};
    for (const line of r.stdout.split(/[\r\n]+/)) {
      const m = /^([A-Z_]+): ([\d.]+) requests per second/.exec(line.trim());
      if (m) out[m[1]] = Number(m[2]);
    }
    return out;
  }

  const samples = {};
  const started = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, port] of Object.entries(targets)) {
      const keep = run(port, ['-t', 'ping,set,get', '-n', String(N)]);
      const fresh = run(port, ['-t', 'ping', '-k', '0', '-n', String(Math.max(1000, N / 4))]);
      const row = { ...keep, 'PING_INLINE (new conn)': fresh.PING_INLINE };
      for (const [test, rps] of Object.entries(row)) ((samples[name] ??= {})[test] ??= []).push(rps);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const tests = Object.keys(samples.direct);
  const results = {};
  for (const [name, byTest] of Object.entries(samples))
    results[name] = Object.fromEntries(Object.entries(byTest).map(([t, xs]) => [t, median(xs)]));

  const pad = (s, n) => String(s).padEnd(n);
  console.log(
    `tcp: redis-benchmark -q -n ${N} (50 clients), ${ROUNDS} rounds, median req/s (ratio to direct); ` +
      `${cpus().length} cores, load ${loadavg()[0].toFixed(1)}, ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  console.log(pad('target', 15) + tests.map((t) => pad(t, 26)).join(''));
  for (const [name, row] of Object.entries(results)) {
    console.log(
      pad(name, 15) +
        tests.map((t) => pad(`${Math.round(row[t])} (${(row[t] / results.direct[t]).toFixed(2)})`, 26)).join(''),
    );
  }
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(
    join(root, 'bench/results/tcp.json'),
    JSON.stringify({ date: new Date().toISOString(), n: N, rounds: ROUNDS, load: loadavg()[0], results }, null, 2),
  );
} finally {
  await cleanup();
}
