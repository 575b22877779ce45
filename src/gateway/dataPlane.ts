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
  /** Stops every listener, letting in-flight requests finish (at most the drain timeout). */
  close(): Promise<void>;
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
  close(): Promise<void>;
}

/** Listeners of this process, with the span queue their hops end in (undefined: tracing off). */
export function servedHere(listeners: DataPlaneListeners, spans: SpanQueue | undefined): ServedDataPlane {
  return {
    apply: (table) => listeners.apply(table),
    report: () =>
      Promise.resolve({ listeners: listeners.stats(), services: listeners.traffic(), spans: spans?.counts() }),
    spansJSON: (max) => spans?.drainJSONYielding(max) ?? spanBatchJSON('', 0, 0),
    close: () => listeners.close(),
  };
}
