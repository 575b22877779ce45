// Log search: how fast the log index takes lines in and answers searches, beside `grep` over the
// same files. Generates LINES lines (default 5,000,000) as the shim writes them, spread over
// SERVICES services (default 10) and a day of timestamps: pino-style JSON lines with a trade id
// (each trade logged by two services), a trace id and a level, and plain lines. Then:
//   - ingest: the control plane's log center (dist/server/logCenter.js: its worker thread reads
//     every file into a fresh index), in lines per second, and the index's size on disk beside the
//     files' size,
//   - search: RUNS (default 50) searches of each kind — a trade id (free text), a trace id, errors
//     of one service in the last hour — p50 and p99 in ms,
//   - grep: `grep -rhiF` of the same trade ids over the same files (GREP_RUNS, default 5), p50/p99,
//     and the ratio grep / index.
// Run after `npm run build`: `node bench/logsearch.mjs` or `LINES=200000 node bench/logsearch.mjs`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(root, 'dist', p));
const { LogWriter } = await dist('runtime/local/logFiles.js');
const { writeReplicaRecord } = await dist('runtime/local/replicaStore.js');
const { openLogIndex } = await dist('logs/logIndex.js');
const { startLogCenter } = await dist('server/logCenter.js');
const { pino } = await import('pino');
const { default: Sqlite } = await import('better-sqlite3');

const LINES = Number(process.env.LINES ?? 5_000_000);
const SERVICES = Number(process.env.SERVICES ?? 10);
const RUNS = Number(process.env.RUNS ?? 50);
const GREP_RUNS = Number(process.env.GREP_RUNS ?? 5);
const DAY_MS = 24 * 3600 * 1000;
const T0 = Date.now() - DAY_MS;

const home = mkdtempSync(join(tmpdir(), 'berth-bench-logsearch-'));
const hex = (n, len) => n.toString(16).padStart(len, '0').slice(-len);
const traceOf = (trade) => hex(trade * 2654435761, 16) + hex(trade * 40503, 16);

// Generate.
let t = Date.now();
const writers = [];
for (let s = 0; s < SERVICES; s++) {
  const service = `svc${s}`;
  const dir = join(home, 'run', 'bench', 'prod', service, `${service}-1`);
  writeReplicaRecord(dir, {
    id: `${service}-1`,
    app: 'bench',
    env: 'prod',
    service,
    hash: 'h',
    revision: 1,
    port: 1,
    restarts: 0,
    backoffStreak: 0,
    created: new Date(0).toISOString(),
    spec: { terminationGracePeriodMs: 1000 },
  });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  let now = T0;
  const w = new LogWriter(join(dir, 'logs'), { maxBytes: 64 * 1024 * 1024, keep: 1000, now: () => new Date(now) });
  writers.push({ w, service, tick: (ms) => (now = ms) });
}
const trades = Math.floor(LINES / 4);
for (let i = 0; i < LINES; i++) {
  const timeMs = T0 + Math.floor((i / LINES) * DAY_MS);
  const trade = Math.floor(i / 4);
  const writer = writers[(trade + (i % 2)) % SERVICES];
  writer.tick(timeMs);
  if (i % 4 < 2) {
    const level = i % 97 === 0 ? 50 : 30;
    writer.w.write(
      'stdout',
      JSON.stringify({
        level,
        time: timeMs,
        msg: `trade T-${trade} ${level === 50 ? 'rejected' : 'accepted'}`,
        trace_id: traceOf(trade),
      }),
    );
  } else if (i % 4 === 2) writer.w.write('stdout', `GET /orders/${trade} 200 ${i % 50}ms`);
  else writer.w.write('stderr', `WARN cache miss for key user:${i % 10007}`);
}
for (const { w } of writers) w.close();
const genS = (Date.now() - t) / 1000;
const filesBytes = sizeOf(join(home, 'run'));

// Ingest.
const dbFile = join(home, 'logindex.db');
const center = startLogCenter(home, pino({ level: 'silent' }), {}, { pollMs: 100 });
t = process.hrtime.bigint();
// Progress by the newest line's id, once a second (cheap; a count would scan the growing table).
const probe = new Sqlite(dbFile, { readonly: true });
let ingested = 0;
while ((ingested = probe.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM lines').get().n) < LINES)
  await new Promise((r) => setTimeout(r, 1000));
const ingestS = Number(process.hrtime.bigint() - t) / 1e9;
probe.close();
await center.close();
const indexBytes = ['', '-wal', '-shm'].reduce((a, s) => a + (safeSize(dbFile + s) ?? 0), 0);
const idx = openLogIndex(dbFile);

// Search.
const pick = (k) => Math.floor((((k * 7919) % 1000) / 1000) * trades);
const q = { app: 'bench', env: 'prod', limit: 500 };
const measure = (runs, fn) => {
  const ms = [];
  for (let k = 0; k < runs; k++) {
    const s = process.hrtime.bigint();
    fn(k);
    ms.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length * 0.5)], p99: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))] };
};
const found = idx.search({ ...q, text: `T-${pick(1)} ` }).lines.length;
const byText = measure(RUNS, (k) => idx.search({ ...q, text: `T-${pick(k)} ` }));
const byTrace = measure(RUNS, (k) => idx.search({ ...q, traceId: traceOf(pick(k)) }));
const errors = measure(RUNS, (k) =>
  idx.search({ ...q, service: `svc${k % SERVICES}`, level: 'error', sinceMs: T0 + DAY_MS - 3600_000 }),
);
const grep = measure(GREP_RUNS, (k) => {
  try {
    execFileSync('grep', ['-rhiF', `T-${pick(k)} `, join(home, 'run')], { maxBuffer: 1 << 26 });
  } catch (e) {
    if (e.status !== 1) throw e;
  }
});
idx.close();

const f = (n, d = 1) => n.toFixed(d);
console.log(
  `${LINES} lines in ${SERVICES} services, ${f(filesBytes / 2 ** 20)} MiB of log files (generated in ${f(genS)} s)`,
);
console.log(`ingest: ${ingested} lines in ${f(ingestS)} s = ${Math.round(ingested / ingestS)} lines/s`);
console.log(`index on disk: ${f(indexBytes / 2 ** 20)} MiB (${f(indexBytes / filesBytes, 2)}x the files)`);
console.log(`a trade id finds ${found} lines`);
console.log('query                          p50 ms   p99 ms   grep p50 / index p50');
console.log(
  `trade id (free text)        ${f(byText.p50, 2).padStart(8)} ${f(byText.p99, 2).padStart(8)}   ${f(grep.p50 / byText.p50, 0)}x`,
);
console.log(`trace id                    ${f(byTrace.p50, 2).padStart(8)} ${f(byTrace.p99, 2).padStart(8)}`);
console.log(`errors of a service, 1 h    ${f(errors.p50, 2).padStart(8)} ${f(errors.p99, 2).padStart(8)}`);
console.log(`grep -rhiF trade id         ${f(grep.p50, 2).padStart(8)} ${f(grep.p99, 2).padStart(8)}`);
const report = {
  lines: LINES,
  services: SERVICES,
  filesBytes,
  indexBytes,
  ingestLinesPerS: ingested / ingestS,
  byText,
  byTrace,
  errors,
  grep,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/logsearch.json'), `${JSON.stringify(report, null, 2)}\n`);
rmSync(home, { recursive: true, force: true });

function safeSize(p) {
  try {
    return statSync(p).size;
  } catch {
    return undefined;
  }
}
function sizeOf(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? sizeOf(p) : statSync(p).size;
  }
  return n;
}
