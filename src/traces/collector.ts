/**
 * Takes the gateway's ended spans into the trace store: every `intervalMs` it drains the gateway's
 * queue in batches (`GET /spans` through `source`) until it is empty, and prunes the store by its
 * retention every `pruneEveryMs`. A gateway that is not running, or a failed call, is retried on the
 * next tick: the spans wait in the gateway's bounded queue meanwhile.
 */
import type { Logger } from 'pino';
import type { GatewaySpan } from '../model/trace.js';
import type { TraceStore } from './traceStore.js';

/** One batch from the gateway (its `GET /spans`); undefined when no gateway runs. */
export interface SpanSourceBatch {
  spans: GatewaySpan[];
  /** Spans the gateway dropped since it started (its queue was full). */
  dropped: number;
  /** Spans still queued in the gateway. */
  queued: number;
}

export interface TraceCollectorOptions {
  store: TraceStore;
  source: (max: number) => Promise<SpanSourceBatch | undefined>;
  logger?: Logger;
  intervalMs?: number;
  pruneEveryMs?: number;
  batch?: number;
}

export interface TraceCollector {
  /** Drains the gateway now (what each tick does); resolves with the spans stored. */
  collect(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts collecting. */
export function startTraceCollector(opts: TraceCollectorOptions): TraceCollector {
  const intervalMs = opts.intervalMs ?? 1000;
  const pruneEveryMs = opts.pruneEveryMs ?? 60_000;
  const batch = opts.batch ?? 5000;
  let lastDropped = 0;
  let lastPrune = 0;
  let running: Promise<number> | undefined;
  let stopped = false;

  const drain = async (): Promise<number> => {
    let stored = 0;
    // Bounded: a gateway that fills its queue faster than this drains it leaves the rest for the next tick.
    for (let i = 0; i < 20 && !stopped; i++) {
      const got = await opts.source(batch);
      if (got === undefined) break;
      opts.store.add(got.spans);
      stored += got.spans.length;
      if (got.dropped > lastDropped)
        opts.logger?.warn({ dropped: got.dropped - lastDropped }, 'the gateway dropped spans: its queue was full');
      // A restarted gateway counts from zero again.
      lastDropped = got.dropped;
      if (got.queued === 0) break;
    }
    const now = Date.now();
    if (now - lastPrune >= pruneEveryMs) {
      lastPrune = now;
      opts.store.prune(now);
    }
    return stored;
  };

  const collect = (): Promise<number> =>
    (running ??= drain()
      .catch((err: unknown) => {
        opts.logger?.warn({ err }, 'collecting spans failed; retrying on the next tick');
        return 0;
      })
      .finally(() => (running = undefined)));

  const timer = setInterval(() => void collect(), intervalMs);
  timer.unref();
  return {
    collect,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
