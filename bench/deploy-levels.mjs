// Deploy overhead: a generated app of 20 services in 5 dependency levels, each service taking a
// known time to become ready. The lower bound of any orchestrator that respects the order is the
// sum over levels of the slowest service's own start time; what Berth takes beyond it is overhead.
//
// Measured: wall clock of `berth deploy` as a user runs it (CLI start to exit), and the release's
// own time in the control plane (created → finished). Runs 3 times (the app taken down in between)
// and reports the median.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, root, startControlPlane } from './lib/controlPlane.mjs';
const LEVELS = 5;
const PER_LEVEL = 4;
const RUNS = 3;

// Deterministic delays (ms from process start to ready), 150..450.
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const delays = Array.from({ length: LEVELS }, () =>
  Array.from({ length: PER_LEVEL }, () => 150 + Math.round(rand() * 300)),
);
const lowerBoundMs = delays.reduce((sum, level) => sum + Math.max(...level), 0);

const app = mkdtempSync(join(tmpdir(), 'berth-bench-app-'));
// The service: listens at once, answers /healthz with 503 until READY_AFTER_MS after its process started.
writeFileSync(
  join(app, 'svc.mjs'),
  `import { createServer } from 'node:http';
const readyAt = performance.timeOrigin + Number(process.env.READY_AFTER_MS);
createServer((req, res) => { res.statusCode = Date.now() >= readyAt ? 200 : 503; res.end(); })
  .listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`,
);
const lines = ['name: bench', 'services:'];
for (let l = 0; l < LEVELS; l++) {
  for (let i = 0; i < PER_LEVEL; i++) {
    lines.push(`  s${l}-${i}:`, `    command: [node, svc.mjs]`, `    env: { READY_AFTER_MS: "${delays[l][i]}" }`);
    lines.push(`    health: { readiness: { http: { path: /healthz }, period: 1s } }`);
    lines.push(`    terminationGracePeriod: 2s`);
    if (l > 0)
      lines.push(`    dependsOn: [${Array.from({ length: PER_LEVEL }, (_, j) => `s${l - 1}-${j}`).join(', ')}]`);
  }
}
writeFileSync(join(app, 'berth.yaml'), `${lines.join('\n')}\n`);

const cp = await startControlPlane('berth-bench-home-');
const results = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    execFileSync(process.execPath, [cli, 'deploy', app, '-m', `bench ${run}`], { env: cp.env, stdio: 'ignore' });
    const wallMs = performance.now() - t0;
    const [rel] = await cp.api('GET', '/api/v1/apps/bench/envs/local/releases?limit=1');
    if (rel.status !== 'succeeded') throw new Error(`release ${rel.revision} ${rel.status}: ${rel.reason}`);
    const engineMs = Date.parse(rel.finishedAt) - Date.parse(rel.createdAt);
    results.push({ wallMs, engineMs });
    execFileSync(process.execPath, [cli, 'down', 'bench'], { env: cp.env, stdio: 'ignore' });
  }
} finally {
  await cp.teardown();
  if (!process.env.KEEP) rmSync(app, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const wall = median(results.map((r) => r.wallMs));
const engine = median(results.map((r) => r.engineMs));
const report = {
  benchmark: 'deploy-levels',
  services: LEVELS * PER_LEVEL,
  levels: LEVELS,
  lowerBoundMs,
  berthWallMs: Math.round(wall),
  berthEngineMs: Math.round(engine),
  overheadWallMs: Math.round(wall - lowerBoundMs),
  overheadEngineMs: Math.round(engine - lowerBoundMs),
  ratioWallToBound: +(wall / lowerBoundMs).toFixed(2),
  runs: results.map((r) => ({ wallMs: Math.round(r.wallMs), engineMs: Math.round(r.engineMs) })),
};
console.log(`20 services in 5 levels; lower bound (sum of each level's slowest start) ${lowerBoundMs} ms`);
console.log(
  `berth deploy, wall clock (CLI start to exit), median of ${RUNS}: ${report.berthWallMs} ms → overhead ${report.overheadWallMs} ms (${report.ratioWallToBound}× the bound)`,
);
console.log(
  `release in the engine (created → finished), median: ${report.berthEngineMs} ms → overhead ${report.overheadEngineMs} ms`,
);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/deploy-levels.json'), `${JSON.stringify(report, null, 2)}\n`);
