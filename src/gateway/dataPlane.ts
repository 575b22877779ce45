/**
 * A gateway's data plane: what serves the listeners of its routing table. Two implement it — the
 * gateway's own Node listeners (`listeners.ts`, L4 ones in `tcpListeners.ts`) and HAProxy driven
 * through its admin socket (`haproxy/haproxyListeners.ts`) — and the gateway (`server.ts`) knows
 * them only through this interface; `dataPlane.test.ts` runs the behaviour they share against both.
 */
import type { ListenerError, ListenerStatsJSON } from './listenerTypes.js';
import type { RoutingTable, ServiceTraffic } from './table.js';
import type { SpanCounts, SpanQueue } from './spans.js';
import { spanBatchJSON } from './spans.js';

/** The listeners of a gateway, whatever serves them. */
export interface DataPlaneListeners {
  /**
   * Makes the data plane serve `table`: new ports listen, moved and removed ones close, backends and
   * routes change in place. Resolves once the new backends are in use and the removed ones have no
   * request in flight (bounded); the ports that cannot be bound are returned, the rest is applied.
   */
  apply(table: RoutingTable): Promise<ListenerError[]>;
  /** Counters of every public listener. */
  stats(): ListenerStatsJSON[];
  /** Cumulative per-track request counters of every service of the table. */
  traffic(): ServiceTraffic[];
  /**
   * A short text that changes whenever any counter of `stats()` or `traffic()` may have moved (a
   * request or connection began or ended, a table was applied, HAProxy's counters were read anew);
   * undefined while it cannot say (a request in flight: its retries, timeouts and latency move
   * inside the exchange). Equal texts mean equal counters: `GET /stats` answers "unchanged" on it.
   */
  activity(): string | undefined;
  /** Makes `stats()` and `traffic()` as of now where they are read periodically (HAProxy's); absent: always current. */
  fresh?(): Promise<void>;
  /** Stops every listener, letting in-flight requests finish (at most the drain timeout). */
  close(): Promise<void>;
}

/** A data plane's applies under way and done, for its `activity()` (an apply changes listeners step by step). */
export class ApplyCount {
  running = 0;
  done = 0;

  async during<T>(apply: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await apply();
    } finally {
      this.running--;
      this.done++;
    }
  }
}

/** What a gateway's data plane counted: `GET /stats` without the generation. */
export interface DataPlaneReport {
  listeners: ListenerStatsJSON[];
  services: ServiceTraffic[];
  /** Tracing's queue; absent with tracing off. */
  spans?: SpanCounts;
}

/**
 * The data plane as the gateway's control API drives it: listeners in this process
 * (`servedHere`), or the Node data plane's cluster workers (gatewayWorkers.ts), asked over IPC.
 */
export interface ServedDataPlane {
  apply(table: RoutingTable): Promise<ListenerError[]>;
  /** Its counters (summed over the workers when several serve). */
  report(): Promise<DataPlaneReport>;
  /** Takes up to `max` ended spans, oldest first, as `GET /spans` JSON. */
  spansJSON(max: number): string | Promise<string>;
  /** `activity()` of the listeners and the span queue's counters; undefined when it cannot say (see there). */
  version(): string | undefined;
  /** The listeners' `fresh()`: asked before `version()` and `report()`. */
  fresh(): Promise<void>;
  /**
   * Calls `wake` once at the next span queued and returns its cancel; undefined when spans wait
   * already or it cannot tell (the control API then answers a held `GET /spans` at once).
   */
  onSpans(wake: () => void): (() => void) | undefined;
  close(): Promise<void>;
}

/** Listeners of this process, with the span queue their hops end in (undefined: tracing off). */
export function servedHere(listeners: DataPlaneListeners, spans: SpanQueue | undefined): ServedDataPlane {
  return {
    apply: (table) => listeners.apply(table),
    report: () =>
      Promise.resolve({ listeners: listeners.stats(), services: listeners.traffic(), spans: spans?.counts() }),
    spansJSON: (max) => spans?.drainJSONYielding(max) ?? spanBatchJSON('', 0, 0),
    fresh: () => listeners.fresh?.() ?? Promise.resolve(),
    version: () => {
      const a = listeners.activity();
      if (a === undefined || spans === undefined) return a;
      return `${a}.${spans.queued}.${spans.recorded}.${spans.dropped}`;
    },
    // Tracing off: no span ever comes, so a held request waits out its time.
    onSpans: (wake) => (spans === undefined ? () => undefined : spans.onQueued(wake)),
    close: () => listeners.close(),
  };
}
