/**
 * A gateway's data plane: what serves the listeners of its routing table. Two implement it — the
 * gateway's own Node listeners (`listeners.ts`, L4 ones in `tcpListeners.ts`) and HAProxy driven
 * through its admin socket (`haproxy/haproxyListeners.ts`) — and the gateway (`server.ts`) knows
 * them only through this interface; `dataPlane.test.ts` runs the behaviour they share against both.
 */
import type { ListenerError, ListenerStatsJSON } from './listenerTypes.js';
import type { RoutingTable, ServiceTraffic } from './table.js';

/** The listeners of a gateway, whatever serves them. */
export interface DataPlaneListeners {
  /**
   * Makes the data plane serve `table`: new ports listen, moved and removed ones close, backends and
   * routes change in place. Resolves once the new backends are in use and the removed ones have no
   * request in flight (bounded); the ports that cannot be bound are returned, the rest is applied.
   */
  apply(table: RoutingTable): Promise<ListenerError[]>;
  /** Counters of every public listener (asked of the workers, when several serve the Node plane). */
  stats(): ListenerStatsJSON[] | Promise<ListenerStatsJSON[]>;
  /** Cumulative per-track request counters of every service of the table. */
  traffic(): ServiceTraffic[] | Promise<ServiceTraffic[]>;
  /** Stops every listener, letting in-flight requests finish (at most the drain timeout). */
  close(): Promise<void>;
}
