/**
 * Request counters per edge route and track. Every edge route to a service gets a RouteCounters
 * when the table is applied, so a proxied request counts itself through a reference it already
 * holds (no lookup by name per request). They live in the target service's BackendSet, keyed by
 * edge, host and path prefix: a table update that keeps a route keeps its counters, one that drops
 * the route (or its service) drops them. Requests through the service's own address are in no
 * route; the service's TrackSets count every request, so they hold the sum of its routes and more.
 */
import type { RouteTraffic } from '../model/observation.js';
import type { Track } from '../model/routing.js';
import type { EdgeRoute } from './table.js';
import { TrackCounters } from './trackCounters.js';

export type { RouteTraffic };

/** The counters of one edge route, one pair of track counters per track of the target service. */
export class RouteCounters {
  readonly edge: string;
  readonly route: string;
  readonly stable = new TrackCounters('stable');
  readonly canary = new TrackCounters('canary');

  constructor(edge: string, route: string) {
    this.edge = edge;
    this.route = route;
  }

  /** Counts one finished request served by `track`. */
  record(track: Track, ms: number, failed: boolean): void {
    (track === 'canary' ? this.canary : this.stable).record(ms, failed);
  }

  /** The counters as the control API reports them. */
  toJSON(): RouteTraffic {
    return { edge: this.edge, route: this.route, tracks: [this.stable.toJSON(), this.canary.toJSON()] };
  }
}

/** The route label of `route`: host (lower case, as it is matched) then path prefix. */
export function routeLabel(route: EdgeRoute): string {
  return route.host === undefined ? route.pathPrefix : `${route.host.toLowerCase()}${route.pathPrefix}`;
}

/**
 * The route counters of one service. A table update calls `begin`, then `route` for every edge
 * route to the service, then `commit`, which forgets the routes the new table no longer has.
 */
export class ServiceRoutes {
  private counters = new Map<string, RouteCounters>();
  private next = new Map<string, RouteCounters>();

  /** Starts a table update. */
  begin(): void {
    this.next = new Map();
  }

  /** The counters of `route` of edge `edgeKey`: the same object as before if the route was there. */
  route(edgeKey: string, route: EdgeRoute): RouteCounters {
    // Host lower-cased as for matching, so `Shop.Example` and `shop.example` are one route.
    const id = `${edgeKey} ${route.host?.toLowerCase() ?? '*'} ${route.pathPrefix}`;
    const c = this.next.get(id) ?? this.counters.get(id) ?? new RouteCounters(edgeKey, routeLabel(route));
    this.next.set(id, c);
    return c;
  }

  /** Ends a table update: counters of routes the table no longer has are dropped. */
  commit(): void {
    this.counters = this.next;
  }

  /** Every route's counters, ordered by edge then route; undefined when the service has no route. */
  report(): RouteTraffic[] | undefined {
    if (this.counters.size === 0) return undefined;
    return [...this.counters.values()]
      .sort((a, b) => (a.edge === b.edge ? compare(a.route, b.route) : compare(a.edge, b.edge)))
      .map((c) => c.toJSON());
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
