/**
 * Entry of one gateway worker (`node:cluster`; started by gatewayWorkers.ts when the gateway runs
 * with `--workers N`): the Node data plane's listeners for its share of every port's connections
 * (the cluster's primary accepts and hands connections round robin to the workers), answering the
 * primary's requests — apply a table, report counters, hand over spans, close — over IPC.
 */
import { Listeners } from './listeners.js';
import { SpanQueue } from './spans.js';
import type { WorkerOptions, WorkerReply, WorkerRequest } from './gatewayWorkers.js';
import { workerOptionsEnv } from './gatewayWorkers.js';

const opts = JSON.parse(process.env[workerOptionsEnv] ?? '{}') as WorkerOptions;
const spans = opts.tracing ? new SpanQueue(opts.spanQueueCapacity) : undefined;
const listeners = new Listeners({ ...opts.listeners, spans, policyShare: opts.policyShare });

function reply(message: WorkerReply): void {
  process.send?.(message);
}

/** Tables and the close, one at a time and in the order sent (a report never waits for them). */
let chain: Promise<unknown> = Promise.resolve();

function serialised<T>(run: () => Promise<T>): Promise<T> {
  const next = chain.then(run);
  chain = next.catch(() => undefined);
  return next;
}

async function handle(m: WorkerRequest): Promise<unknown> {
  switch (m.op) {
    case 'apply':
      return serialised(() => listeners.apply(m.table));
    case 'report':
      return { listeners: listeners.stats(), services: listeners.traffic(), spans: spans?.counts() };
    case 'spans':
      return (await spans?.drainPartsYielding(m.max)) ?? { items: '', count: 0, dropped: 0, queued: 0 };
    case 'close':
      await serialised(() => listeners.close());
      return undefined;
  }
}

process.on('message', (m: WorkerRequest) => {
  handle(m).then(
    (result) => reply({ id: m.id, result }),
    (err: unknown) => reply({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
// A primary that is gone takes its workers with it (node:cluster exits a worker on disconnect).
reply({ id: 0, result: 'ready' });
