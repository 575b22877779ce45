// Call graph: how long the aggregation of a window takes over a full trace store. Fills a fresh
// traces.db with SPANS spans (default 1,000,000: the store's cap) spread evenly over a day, as the
// shop makes them (edge → web → orders → inventory, one trace of three to four spans per purchase,
// 1% errors, some hops with no recorded parent), 10 apps so one app's graph is a tenth of the
// spans; then RUNS (default 5) aggregations of one app over windows of 15m, 1h, 6h and 24h: p50 and
// max in ms, and the spans the window holds. It is what GET …/callgraph and `berth graph` run.
// Run after `npm run build`: `node bench/callgraph.mjs` or `SPANS=200000 node bench/callgraph.mjs`.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(root, 'dist', p));
const { TraceStore } = await dist('traces/traceStore.js');
const { readObservedCalls } = await dist('traces/callGraph.js');

const SPANS = Number(process.env.SPANS ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 5);
const APPS = 10;
const DAY_MS = 24 * 3600 * 1000;
const now = Date.now();
const t0 = now - DAY_MS;

const home = mkdtempSync(join(tmpdir(), 'berth-bench-callgraph-'));
const store = new TraceStore({ file: join(home, 'traces.db'), maxSpans: SPANS * 2 });
const hex = (n, len) => n.toString(16).padStart(len, '0').slice(-len);
let spanIds = 0;
const sid = () => hex(++spanIds, 16);

let t = Date.now();
let made = 0;
let trace = 0;
let batch = [];
while (made < SPANS) {
  trace++;
  const traceId = hex(trace, 32);
  const app = `app${trace % APPS}`;
  const startMs = t0 + (made / SPANS) * DAY_MS;
  const error = trace % 100 === 0;
  const base = { traceId, method: 'POST', status: 200, error: false, startMs };
  const web = {
    ...base,
    spanId: sid(),
    kind: 'edge',
    edge: `${app}/prod`,
    route: '/',
    service: `${app}/prod/web`,
    durationMs: 5 + (trace % 50),
  };
  const orders = {
    ...base,
    spanId: sid(),
    parentId: web.spanId,
    kind: 'service',
    service: `${app}/prod/orders`,
    durationMs: 3 + (trace % 40),
  };
  const inventory = {
    ...base,
    spanId: sid(),
    parentId: orders.spanId,
    kind: 'service',
    service: `${app}/prod/inventory`,
    status: error ? 503 : 200,
    error,
    durationMs: 1 + (trace % 7),
  };
  batch.push(web, orders, inventory);
  made += 3;
  if (trace % 3 === 0) {
    batch.push({ ...base, spanId: sid(), kind: 'service', service: `${app}/prod/inventory`, durationMs: 2 });
    made++;
  }
  if (batch.length >= 10_000) {
    store.add(batch);
    batch = [];
  }
}
store.add(batch);
const fillS = (Date.now() - t) / 1000;
const bytes = statSync(store.file).size;
console.log(`${made} spans in ${fillS.toFixed(1)} s, ${(bytes / 1e6).toFixed(0)} MB`);

const windows = { '15m': 15 * 60_000, '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': DAY_MS };
const results = {};
for (const [name, ms] of Object.entries(windows)) {
  const times = [];
  let edges;
  for (let i = 0; i < RUNS; i++) {
    t = performance.now();
    edges = readObservedCalls(store.file, { app: 'app1', env: 'prod', sinceMs: now - ms, untilMs: now });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const hops = edges.reduce((n, e) => n + e.count, 0);
  results[name] = {
    p50Ms: times[Math.floor((RUNS - 1) / 2)],
    maxMs: times[RUNS - 1],
    appSpans: hops,
    edges: edges.length,
  };
  console.log(
    `window ${name}: ${hops} of app1's spans (${edges.length} edges), p50 ${results[name].p50Ms.toFixed(0)} ms, max ${results[name].maxMs.toFixed(0)} ms`,
  );
}
store.close();
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/callgraph.json'),
  `${JSON.stringify({ spans: made, apps: APPS, fileBytes: bytes, windows: results }, null, 2)}\n`,
);
if (process.env.KEEP) console.log(`kept ${home}`);
else rmSync(home, { recursive: true, force: true });
