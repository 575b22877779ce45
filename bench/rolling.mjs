// Requests during rolling updates: a 3-replica service under a steady keep-alive load (autocannon,
// on 127.0.0.1, through the app's edge and through the service's address at the same time) goes
// through 20 consecutive config-changing deploys (`berth config set` + `berth deploy`). Reported
// beside the same load without deploys, in the same run: requests, errors (non-2xx + socket
// errors + timeouts) and latency percentiles.
//
// Usage: node bench/rolling.mjs [deploys=20]   (needs `npm run build`)
// Env: ROLLING_RATE (requests/s per target, default 400), ROLLING_CONNECTIONS (per target, default 8).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { HELLO, root, startControlPlane } from './lib/controlPlane.mjs';

const DEPLOYS = Number(process.argv[2] ?? 20);
const RATE = Number(process.env.ROLLING_RATE ?? 400);
const CONNECTIONS = Number(process.env.ROLLING_CONNECTIONS ?? 8);
const APP = 'rolling';

const dir = mkdtempSync(join(tmpdir(), 'berth-rolling-app-'));
writeFileSync(
  join(dir, 'berth.yaml'),
  `name: ${APP}
variables:
  VERSION: { default: "0" }
services:
  hello:
    command: [node, ${JSON.stringify(HELLO)}]
    replicas: 3
    env: { VERSION: "\${VERSION}", READY_AFTER_MS: "200" }
    health:
      readiness: { http: { path: /healthz }, period: 1s }
    terminationGracePeriod: 10s
routes:
  - { path: /, service: hello }
`,
);

/** Starts autocannon against `url` until stopped (or `durationS`); resolves with its result. */
function cannon(url, durationS) {
  let instance;
  const done = new Promise((resolve, reject) => {
    instance = autocannon(
      { url: `${url}/load`, connections: CONNECTIONS, overallRate: RATE, duration: durationS, pipelining: 1 },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
  return { stop: () => instance.stop(), done };
}

function summarize(r) {
  const errors = r.non2xx + r.errors + r.timeouts;
  return {
    requests: r.requests.total,
    '2xx': r['2xx'],
    'non-2xx': r.non2xx,
    'socket errors': r.errors,
    timeouts: r.timeouts,
    errors,
    'req/s': Math.round(r.requests.average),
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    'max ms': r.latency.max,
  };
}

const cp = await startControlPlane('berth-rolling-');
const results = {};
try {
  const first = await cp.cli(['deploy', dir]);
  if (first.code !== 0) throw new Error(`first deploy failed: ${first.stderr}`);
  const st = await cp.status(APP);
  const targets = { edge: st.edge.url, 'service address': st.services[0].address.url };

  // The rollout phase first, timed, so the steady phase can run equally long.
  const loads = Object.entries(targets).map(([name, url]) => [name, cannon(url, 3600)]);
  const deployMs = [];
  const t0 = Date.now();
  for (let i = 1; i <= DEPLOYS; i++) {
    const set = await cp.cli(['config', 'set', `VERSION=${i}`, '--app', APP, '-m', `rolling ${i}`]);
    if (set.code !== 0) throw new Error(`config set failed: ${set.stderr}`);
    const d0 = Date.now();
    const d = await cp.cli(['deploy', dir, '-m', `rolling ${i}`]);
    deployMs.push(Date.now() - d0);
    if (d.code !== 0) throw new Error(`deploy ${i} failed: ${d.stderr}`);
    process.stdout.write(`deploy ${i}/${DEPLOYS}: ${deployMs.at(-1)} ms\n`);
  }
  const rollingS = Math.max(5, Math.round((Date.now() - t0) / 1000));
  for (const [, l] of loads) l.stop();
  for (const [name, l] of loads) results[`${name}, during ${DEPLOYS} rollouts`] = summarize(await l.done);

  const steady = Object.entries(targets).map(([name, url]) => [name, cannon(url, rollingS)]);
  for (const [name, l] of steady) results[`${name}, steady (${rollingS} s, no deploys)`] = summarize(await l.done);

  const sorted = [...deployMs].sort((a, b) => a - b);
  console.log(
    `\nrolling: ${DEPLOYS} deploys of 3 replicas (maxSurge 25% → 1, maxUnavailable 25% → 0), ` +
      `deploy median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms; ` +
      `load ${RATE} req/s per target on ${CONNECTIONS} keep-alive connections`,
  );
  console.table(results);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(
    join(root, 'bench/results/rolling.json'),
    `${JSON.stringify({ at: new Date().toISOString(), deploys: DEPLOYS, rate: RATE, connections: CONNECTIONS, deployMs, results }, null, 2)}\n`,
  );
  const failed = Object.entries(results)
    .filter(([k]) => k.includes('rollouts'))
    .reduce((n, [, r]) => n + r.errors, 0);
  process.exitCode = failed > 0 ? 1 : 0;
} finally {
  await cp.teardown();
  rmSync(dir, { recursive: true, force: true });
}
