/**
 * The worker thread of logCenter.ts: owns the log index's writes (its own connection to
 * logindex.db), follows this machine's replica log files into it and applies the retention, so a
 * big ingest or a retention run never holds the control plane's event loop. Lines and file cursors
 * are still written in one transaction per batch: a worker or process that dies reads on from the
 * last committed batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openLogIndex } from '../logs/logIndex.js';
import { createLogIngester, type IndexRetention } from '../logs/logIngester.js';
import { localLogFileSource } from '../runtime/local/logFileList.js';
import type { LogWorkerMessage, LogWorkerReport, LogWorkerStart } from './logCenter.js';

const start = workerData as LogWorkerStart;
const port = parentPort!;
const report = (m: LogWorkerReport): void => port.postMessage(m);

let retention: { defaults: IndexRetention; byEnv: Map<string, IndexRetention> } = {
  defaults: start.retention,
  byEnv: new Map(),
};
const index = openLogIndex(start.file);
const ingester = createLogIngester({
  index,
  source: localLogFileSource(start.home),
  retentionOf: (env) => retention.byEnv.get(env) ?? retention.defaults,
  ...(start.pollMs !== undefined ? { pollMs: start.pollMs } : {}),
  // Off the event loop a batch can be bigger (fewer commits); a look still yields now and then so a
  // stop or a retention change is taken up within a second.
  batchLines: start.batchLines ?? 5000,
  lookLines: (start.batchLines ?? 5000) * 4,
  onError: (err) => report({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
});

port.on('message', (m: LogWorkerMessage) => {
  if (m.type === 'retention') {
    retention = { defaults: m.defaults, byEnv: new Map(m.byEnv) };
    return;
  }
  if (m.type === 'prune') {
    report({ type: 'pruned', id: m.id, lines: ingester.prune() });
    return;
  }
  void ingester
    .stop()
    .then(() => index.close())
    .finally(() => {
      report({ type: 'stopped' });
      port.close();
    });
});
ingester.start();
report({ type: 'ready' });
