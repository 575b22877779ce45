// The control plane's event loop during a big log ingest: LINES lines (default 300,000) as the
// shim writes them into 4 services' log files, then indexed two ways while
// perf_hooks.monitorEventLoopDelay samples this thread's event loop:
//   - inline: the ingester on the control plane's thread (dist/logs/logIngester.js, as before the
//     worker: 1000 lines a transaction, yielding between),
//   - worker: the log center (dist/server/logCenter.js): a worker thread owns the writes.
// Prints lines/s and the loop's delay p50 / p99 / max for each.
// Run after `npm run build`: `node bench/logingestloop.mjs` or `LINES=100000 node bench/logingestloop.mjs`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(root, 'dist', p));
const { LogWriter } = await dist('runtime/local/logFiles.js');
const { writeReplicaRecord } = await dist('runtime/local/replicaStore.js');
const { localLogFileSource } = await dist('runtime/local/logFileList.js');
const { openLogIndex } = await dist('logs/logIndex.js');
const { createLogIngester } = await dist('logs/logIngester.js');
const { startLogCenter, LOG_INDEX_FILE } = await dist('server/logCenter.js');
const { pino } = await import('pino');
const { default: Sqlite } = await import('better-sqlite3');

const LINES = Number(process.env.LINES ?? 300_000);
const SERVICES = 4;

function generate() {
  const home = mkdtempSync(join(tmpdir(), 'berth-bench-logloop-'));
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
    writers.push(new LogWriter(join(dir, 'logs'), { maxBytes: 64 * 1024 * 1024, keep: 1000 }));
  }
  for (let i = 0; i < LINES; i++) {
    const trade = Math.floor(i / 2);
    writers[i % SERVICES].write(
      'stdout',
      JSON.stringify({ level: 30, time: Date.now(), msg: `trade T-${trade} accepted`, trace_id: trade.toString(16) }),
    );
  }
  for (const w of writers) w.close();
  return home;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run(mode) {
  const home = generate();
  const h = monitorEventLoopDelay({ resolution: 10 });
  const t = process.hrtime.bigint();
  h.enable();
  let lines = 0;
  // Progress by the newest line's id (a count would itself hold the loop as the index grows).
  let probe;
  const progress = () => {
    probe ??= new Sqlite(join(home, LOG_INDEX_FILE), { readonly: true });
    return probe.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM lines').get().n;
  };
  if (mode === 'inline') {
    const index = openLogIndex(join(home, LOG_INDEX_FILE));
    const ingester = createLogIngester({ index, source: localLogFileSource(home), pollMs: 50 });
    ingester.start();
    while ((lines = progress()) < LINES) await sleep(50);
    await ingester.stop();
    index.close();
  } else {
    const center = startLogCenter(home, pino({ level: 'silent' }), {}, { pollMs: 50 });
    while ((lines = progress()) < LINES) await sleep(50);
    await center.close();
  }
  probe.close();
  h.disable();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  rmSync(home, { recursive: true, force: true });
  const ms = (ns) => ns / 1e6;
  return {
    mode,
    lines,
    linesPerS: lines / s,
    delayP50Ms: ms(h.percentile(50)),
    delayP99Ms: ms(h.percentile(99)),
    delayMaxMs: ms(h.max),
  };
}

const results = [await run('inline'), await run('worker')];
console.log(`${LINES} lines; the event loop's delay while they are indexed (monitorEventLoopDelay, 10 ms resolution)`);
console.log('mode     lines/s   delay p50 ms   p99 ms   max ms');
for (const r of results)
  console.log(
    `${r.mode.padEnd(8)} ${String(Math.round(r.linesPerS)).padStart(7)} ${r.delayP50Ms.toFixed(1).padStart(14)} ${r.delayP99Ms
      .toFixed(1)
      .padStart(8)} ${r.delayMaxMs.toFixed(1).padStart(8)}`,
  );
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/logingestloop.json'), `${JSON.stringify(results, null, 2)}\n`);
