/**
 * Takes the gateway's ended spans into the trace store: every `intervalMs` it drains the gateway's
 * queue in batches (`GET /spans` through `source`) until it is empty, and prunes the store by its
 * retention every `pruneEveryMs`. While the gateway has no spans the wait doubles up to
 * `idleIntervalMs` (an idle control plane asks less often), back to `intervalMs` at the first span;
 * a reader that wants every span so far calls `fresh()` before reading the store. A gateway that is
 * not running, or a failed call, is retried on the next tick: the spans wait in the gateway's
 * bounded queue meanwhile.
 */
import type { Logger } from 'pino';
import type { GatewaySpan } from '../model/trace.js';
import type { OtlpExporter, OtlpExporterStats } from './otlpExporter.js';
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
  /** Between drains while spans come. Default 1 s. */
  intervalMs?: number;
  /** The longest wait between drains while none come (the wait doubles from intervalMs). Default 4 s. */
  idleIntervalMs?: number;
  pruneEveryMs?: number;
  batch?: number;
  /** Where stored spans are also sent (OTLP), when an export is configured. */
  exporter?: Pick<OtlpExporter, 'offer' | 'stats'>;
}

/** What the collector has seen since it started (the control plane's `/metrics`). */
export interface TraceCollectorStats {
  /** Spans stored. */
  stored: number;
  /** Spans the gateway dropped because its queue was full (summed across gateway restarts). */
  dropped: number;
  /** Spans waiting in the gateway's queue at the last collection. */
  queued: number;
  /** The OTLP export's counters, when spans are exported. */
  export?: OtlpExporterStats;
}

export interface TraceCollector {
  /** Drains the gateway now (what each tick does); resolves with the spans stored. */
  collect(): Promise<number>;
  /** Drains the gateway after any drain under way (whose read may predate the caller's request): every span ended before the call is stored once it resolves. */
  fresh(): Promise<void>;
  stats(): TraceCollectorStats;
  stop(): Promise<void>;
}

/** Starts collecting. */
export function startTraceCollector(opts: TraceCollectorOptions): TraceCollector {
  const intervalMs = opts.intervalMs ?? 1000;
  const idleIntervalMs = Math.max(intervalMs, opts.idleIntervalMs ?? 4000);
  const pruneEveryMs = opts.pruneEveryMs ?? 60_000;
  const batch = opts.batch ?? 5000;
  let lastDropped = 0;
  const totals: TraceCollectorStats = { stored: 0, dropped: 0, queued: 0 };
  let lastPrune = 0;
  let running: Promise<number> | undefined;
  let lastFailure: string | undefined;
  let stopped = false;

  const drain = async (): Promise<number> => {
    let stored = 0;
    // Bounded: a gateway that fills its queue faster than this drains it leaves the rest for the next tick.
    for (let i = 0; i < 20 && !stopped; i++) {
      const got = await opts.source(batch);
      if (got === undefined) break;
      opts.store.add(got.spans);
      opts.exporter?.offer(got.spans);
      stored += got.spans.length;
      totals.stored += got.spans.length;
      totals.queued = got.queued;
      // A restarted gateway counts from zero again: then all it reports is new.
      const dropped = got.dropped >= lastDropped ? got.dropped - lastDropped : got.dropped;
      if (dropped > 0) {
        totals.dropped += dropped;
        opts.logger?.warn({ dropped }, 'the gateway dropped spans: its queue was full');
      }
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
      .then((n) => {
        lastFailure = undefined;
        return n;
      })
      .catch((err: unknown) => {
        // Logged once per kind of failure, not every second: a gateway started by an older Berth
        // has no GET /spans (404) until it is restarted, and a stopped one is not an incident.
        const message = err instanceof Error ? err.message : String(err);
        if (message !== lastFailure)
          opts.logger?.warn({ err }, 'collecting spans failed; retrying every tick, logged again when it changes');
        lastFailure = message;
        return 0;
      })
      .finally(() => (running = undefined)));

  let waitMs = intervalMs;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    timer = setTimeout(() => {
      void collect().then((n) => {
        // Quiet: wait twice as long each time, up to idleIntervalMs; at the first span, the usual pace.
        waitMs = n > 0 || totals.queued > 0 ? intervalMs : Math.min(waitMs * 2, idleIntervalMs);
        if (!stopped) schedule();
      });
    }, waitMs);
    timer.unref();
  };
  schedule();
  return {
    collect,
    async fresh() {
      await running;
      const n = await collect();
      if (n > 0) waitMs = intervalMs;
    },
    stats: () => ({ ...totals, ...(opts.exporter ? { export: opts.exporter.stats() } : {}) }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
