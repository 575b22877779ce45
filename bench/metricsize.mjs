// Metric history: the size of metrics.db per series per day, and how long a sampler tick holds the
// event loop. Writes a day of raw samples (every 10 s) for SERVICES services (default 20), each with
// a traffic series per track (stable, canary) and per route and a replica series, with realistic
// latency histograms (most requests in a few buckets), rolling up each minute as the sampler does;
// then DAYS (default 7) days of one-minute rollups. Prints the bytes per series per day of each
// resolution (file size after a checkpoint, divided by series and days) and the p50/p99 write time
// of a tick (all series in one transaction), and how long reading p99 of every service over the
// DAYS days of rollups takes and holds the event loop at most.
// Run after `npm run build`: `node bench/metricsize.mjs` or `SERVICES=100 node bench/metricsize.mjs`.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { MetricStore } = await import(join(root, 'dist/metrics/metricStore.js'));
const { readHistory } = await import(join(root, 'dist/metrics/history.js'));
const SERVICES = Number(process.env.SERVICES ?? 20);
const DAYS = Number(process.env.DAYS ?? 7);
const HOURS = Number(process.env.HOURS ?? 24);
const bounds = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);

function histogram(n) {
  const c = new Array(bounds.length + 1).fill(0);
  for (let i = 0; i < n; i++) c[Math.min(bounds.length, 3 + Math.floor(Math.random() * Math.random() * 5))]++;
  return c;
}
function tick(store, t) {
  const traffic = [];
  const replicas = [];
  for (let i = 0; i < SERVICES; i++) {
    for (const [track, route] of [
      ['stable', ''],
      ['canary', ''],
      ['stable', '/svc'],
    ]) {
      const requests = Math.floor(Math.random() * 200);
      traffic.push({
        key: { app: 'bench', env: 'local', service: `svc${i}`, track, route },
        requests,
        errors: Math.random() < 0.1 ? 1 : 0,
        sumMs: requests * 12.5,
        counts: histogram(requests),
        bounds,
        cursor: JSON.stringify({ r: t, e: 0, s: t, c: histogram(requests) }),
      });
    }
    replicas.push({
      key: { app: 'bench', env: 'local', service: `svc${i}`, track: '', route: '' },
      restarts: 0,
      ready: 2,
      desired: 2,
      cpu: Math.random() * 50,
      memory: 50e6 + Math.floor(Math.random() * 1e6),
    });
  }
  const started = performance.now();
  store.write(t, traffic, replicas);
  return performance.now() - started;
}
const series = SERVICES * 4;
const size = (dir) => statSync(join(dir, 'metrics.db')).size;

// A day of raw samples, rolled up each minute.
const rawDir = mkdtempSync(join(tmpdir(), 'berth-metricsize-'));
let store = new MetricStore({ file: join(rawDir, 'metrics.db') });
const times = [];
for (let t = t0; t < t0 + (HOURS * day) / 24; t += 10_000) {
  times.push(tick(store, t));
  if ((t - t0) % 60_000 === 50_000) store.rollup(t + 10_000);
}
store.close(); // checkpoints the WAL into the file
const rawPlusRollup = size(rawDir);
// The rollups alone: DAYS days of one-minute rows, written as the rollup writes them.
const rollDir = mkdtempSync(join(tmpdir(), 'berth-metricsize-'));
store = new MetricStore({ file: join(rollDir, 'metrics.db') });
for (let t = t0; t < t0 + DAYS * day; t += 60_000) tick(store, t); // one row per series per minute
store.close();
// Reading them: p99 of every service over the DAYS days (the console's longest range reads 30).
store = new MetricStore({ file: join(rollDir, 'metrics.db'), rollupRetentionMs: 365 * day });
let longestHold = 0;
let last = performance.now();
const watch = setInterval(() => {
  longestHold = Math.max(longestHold, performance.now() - last - 1);
  last = performance.now();
}, 1);
const readStarted = performance.now();
const history = await readHistory(
  store,
  { app: 'bench', env: 'local', metric: 'p99', from: t0, to: t0 + DAYS * day },
  { nowMs: t0 + DAYS * day, rawIntervalMs: 10_000 },
);
const readMs = performance.now() - readStarted;
clearInterval(watch);
store.close();
const rollups = size(rollDir);
times.sort((a, b) => a - b);
const raw = ((rawPlusRollup - (rollups / DAYS) * (HOURS / 24)) * (24 / HOURS)) / series;
const rolled = rollups / DAYS / series;
const result = {
  services: SERVICES,
  series,
  rawBytesPerSeriesDay: Math.round(raw),
  rollupBytesPerSeriesDay: Math.round(rolled),
  // With the default retention: a day of raw samples and 30 days of rollups.
  steadyStateMiB: +((series * (raw + 30 * rolled)) / 2 ** 20).toFixed(1),
  readP99AllServices: {
    days: DAYS,
    points: history.series.length * history.series[0].points.length,
    ms: Math.round(readMs),
    longestEventLoopHoldMs: Math.round(longestHold),
  },
  tickWriteMs: {
    p50: +times[Math.floor(times.length / 2)].toFixed(2),
    p99: +times[Math.floor(times.length * 0.99)].toFixed(2),
  },
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/metricsize.json'), `${JSON.stringify(result, null, 2)}\n`);
rmSync(rawDir, { recursive: true, force: true });
rmSync(rollDir, { recursive: true, force: true });
