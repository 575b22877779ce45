/**
 * Takes the gateway's ended spans into the trace store: every `intervalMs` it drains the gateway's
 * queue in batches (`GET /spans` through `source`) until it is empty, and prunes the store by its
 * retention every `pruneEveryMs`. Once a drain finds none, the next read is held by the gateway
 * (`holdMs`) until a span is queued, so an idle control plane and gateway exchange one read per
 * hold instead of one every few seconds, and the first span after a quiet time arrives at once; a
 * held read that comes back empty early (a gateway that does not hold, or a released one) makes the
 * wait double from `intervalMs` up to `idleIntervalMs` before the next. A reader that wants every
 * span so far calls `fresh()` before reading the store: it releases a held read and waits for its
 * answer too. A gateway that is not running, or a failed call, is retried on the next tick: the
 * spans wait in the gateway's bounded queue meanwhile.
 */
import { randomBytes } from 'node:crypto';
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

/** How one read is asked: held while the gateway has no span, or releasing a held read (control.ts). */
export interface SpanSourceOptions {
  wait?: { id: string; ms: number };
  release?: string;
}

export interface TraceCollectorOptions {
  store: TraceStore;
  source: (max: number, opts?: SpanSourceOptions) => Promise<SpanSourceBatch | undefined>;
  logger?: Logger;
  /** Between drains while spans come. Default 1 s. */
  intervalMs?: number;
  /** The longest wait between drains while none come and no read is held (the wait doubles from intervalMs). Default 4 s. */
  idleIntervalMs?: number;
  /** How long the gateway holds a read while it has no span; 0: never held. Default 25 s. */
  holdMs?: number;
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
  const holdMs = opts.holdMs ?? 25_000;
  const pruneEveryMs = opts.pruneEveryMs ?? 60_000;
  const batch = opts.batch ?? 5000;
  let lastDropped = 0;
  const totals: TraceCollectorStats = { stored: 0, dropped: 0, queued: 0 };
  let lastPrune = 0;
  let running: Promise<number> | undefined;
  let lastFailure: string | undefined;
  let stopped = false;

  const drain = async (first?: SpanSourceOptions): Promise<number> => {
    let stored = 0;
    // Bounded: a gateway that fills its queue faster than this drains it leaves the rest for the next tick.
    // A release is sent even once stopped (stop() releases the held read).
    for (let i = 0; i < 20 && (!stopped || (i === 0 && first?.release !== undefined)); i++) {
      const got = await opts.source(batch, i === 0 ? first : undefined);
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

  const guarded = (read: Promise<number>): Promise<number> =>
    read
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
      });

  /** A plain drain (shared by callers at the same time), releasing the held read `release` if given. */
  const collect = (release?: string): Promise<number> =>
    (running ??= guarded(drain(release === undefined ? undefined : { release })).finally(() => (running = undefined)));

  let waitMs = intervalMs;
  let timer: NodeJS.Timeout | undefined;
  /** The held read under way, and its id (a release names it). */
  let holding: Promise<void> | undefined;
  let holdId = '';
  const holdPrefix = randomBytes(6).toString('hex');
  let holds = 0;
  /** fresh() calls under way: no read is held meanwhile, so each knows the one it must release. */
  let freshening = 0;

  /** The last read found no span: the next one is held (when the gateway holds reads). */
  let quiet = false;
  const schedule = (): void => {
    timer = setTimeout(() => {
      if (quiet && holdMs > 0 && freshening === 0) hold();
      else void collect().then(next);
    }, waitMs);
    timer.unref();
  };
  /** After a drain that stored `n`: the usual pace while spans come, else a held read (or a longer wait). */
  const next = (n: number): void => {
    if (stopped) return;
    quiet = n === 0 && totals.queued === 0;
    if (!quiet) {
      waitMs = intervalMs;
      return schedule();
    }
    if (holdMs > 0 && freshening === 0) return hold();
    // Quiet: wait twice as long each time, up to idleIntervalMs.
    waitMs = Math.min(waitMs * 2, idleIntervalMs);
    schedule();
  };
  const hold = (): void => {
    const id = `${holdPrefix}-${++holds}`;
    const started = Date.now();
    holdId = id;
    const read = guarded(drain({ wait: { id, ms: holdMs } }));
    const held = read.then(() => undefined);
    holding = held;
    void read.then((n) => {
      if (holding === held) holding = undefined;
      if (stopped) return;
      if (n > 0 || totals.queued > 0) return next(n);
      // Held its whole time with nothing queued: hold again at once.
      if (Date.now() - started >= holdMs / 2 && freshening === 0) return hold();
      // Answered early with nothing (released, a gateway that does not hold, none running): wait.
      waitMs = Math.min(waitMs * 2, idleIntervalMs);
      schedule();
    });
  };
  schedule();
  return {
    collect: () => collect(),
    async fresh() {
      freshening++;
      try {
        const held = holding;
        const id = holdId;
        await running;
        // The gateway answers the held read at this release (or at once if it arrives later), so
        // every span ended before this call is in one of the two answers.
        const n = await collect(held === undefined ? undefined : id);
        await held;
        if (n > 0) waitMs = intervalMs;
      } finally {
        freshening--;
      }
    },
    stats: () => ({ ...totals, ...(opts.exporter ? { export: opts.exporter.stats() } : {}) }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const held = holding;
      // Released, so its spans are stored now rather than held until the control plane has gone.
      if (held !== undefined) await guarded(drain({ release: holdId }));
      await running;
      await held;
    },
  };
}
