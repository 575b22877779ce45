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
import { createPodLogFollower, type PodLogFollower } from '../logs/podLogFollower.js';
import type { KubeLogTarget, LogWorkerMessage, LogWorkerReport, LogWorkerStart } from './logCenter.js';

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
  onError: (err) => reportError(err),
});

const reportError = (err: unknown): void =>
  report({ type: 'error', message: err instanceof Error ? err.message : String(err) });

/** One pod log follower per environment on Kubernetes, by its target. */
const followers = new Map<string, PodLogFollower>();
let kubeChange: Promise<void> = Promise.resolve();
const followKube = async (targets: KubeLogTarget[]): Promise<void> => {
  const wanted = new Map(targets.map((t) => [JSON.stringify(t), t]));
  for (const [key, f] of followers)
    if (!wanted.has(key)) {
      followers.delete(key);
      await f.stop();
    }
  if (![...wanted.keys()].some((k) => !followers.has(k))) return;
  // The Kubernetes client is loaded only when an environment runs there.
  const { createClients, loadKubeConfig } = await import('../runtime/kubernetes/client.js');
  const { podLogSource } = await import('../runtime/kubernetes/logs.js');
  for (const [key, t] of wanted) {
    if (followers.has(key) || stopping) continue;
    try {
      const clients = createClients(loadKubeConfig(t.context !== undefined ? { context: t.context } : {}));
      const f = createPodLogFollower({
        index,
        source: podLogSource(clients, t.namespace, t.env),
        ...(start.pollMs !== undefined ? { pollMs: Math.max(start.pollMs, 200) } : {}),
        onError: reportError,
      });
      followers.set(key, f);
      f.start();
    } catch (err) {
      reportError(err);
    }
  }
};
let stopping = false;

port.on('message', (m: LogWorkerMessage) => {
  if (m.type === 'kube') {
    kubeChange = kubeChange.then(() => followKube(m.targets)).catch(reportError);
    return;
  }
  if (m.type === 'retention') {
    retention = { defaults: m.defaults, byEnv: new Map(m.byEnv) };
    return;
  }
  if (m.type === 'prune') {
    report({ type: 'pruned', id: m.id, lines: ingester.prune() });
    return;
  }
  stopping = true;
  void kubeChange
    .then(() => Promise.all([ingester.stop(), ...[...followers.values()].map((f) => f.stop())]))
    .then(() => index.close())
    .finally(() => {
      report({ type: 'stopped' });
      port.close();
    });
});
ingester.start();
report({ type: 'ready' });
