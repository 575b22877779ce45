/**
 * What HAProxy's `show stat` cannot give for the requests it serves alone, counted from their log
 * lines (traceRules.ts, haproxySpans.ts): the latency histogram of each service track, and the
 * counters of each edge route (requests, errors, latency), as the Node listeners keep them
 * (trackCounters.ts, routeCounters.ts). Requests and errors per track stay `show stat`'s (exact);
 * a log line HAProxy drops under overload is missing from the histogram and the route's counts.
 */
import type { Track } from '../../model/routing.js';
import type { RouteTraffic } from '../routeCounters.js';
import { RouteCounters } from '../routeCounters.js';
import { TrackCounters } from '../trackCounters.js';

/** Latency and route counters of one service. */
interface ServiceLog {
  stable: TrackCounters;
  canary: TrackCounters;
  /** By `edge route`. */
  routes: Map<string, RouteCounters>;
}

/** One request HAProxy served alone, as its log line says. */
export interface LoggedRequest {
  service: string;
  track: Track;
  /** The edge and route label, when the request came through an edge route. */
  edge?: string;
  route?: string;
  durationMs: number;
  failed: boolean;
}

export class HaproxyLogCounters {
  private services = new Map<string, ServiceLog>();

  /** Counts one request. */
  record(r: LoggedRequest): void {
    let s = this.services.get(r.service);
    if (s === undefined) {
      s = { stable: new TrackCounters('stable'), canary: new TrackCounters('canary'), routes: new Map() };
      this.services.set(r.service, s);
    }
    (r.track === 'canary' ? s.canary : s.stable).record(r.durationMs, r.failed);
    if (r.edge === undefined || r.route === undefined) return;
    const id = `${r.edge} ${r.route}`;
    let c = s.routes.get(id);
    if (c === undefined) s.routes.set(id, (c = new RouteCounters(r.edge, r.route)));
    c.record(r.track, r.durationMs, r.failed);
  }

  /**
   * Keeps only the services and edge routes `routes` lists (`service` → `edge route` ids), as a
   * table update does to the Node listeners' counters: a route that stays keeps its counts.
   */
  retain(routes: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const [service, s] of this.services) {
      const keep = routes.get(service);
      if (keep === undefined) this.services.delete(service);
      else for (const id of s.routes.keys()) if (!keep.has(id)) s.routes.delete(id);
    }
  }

  /** The latency histogram of `service`'s `track` (its requests and errors are not used: show stat's are exact). */
  latency(service: string, track: Track): TrackCounters | undefined {
    const s = this.services.get(service);
    return s === undefined ? undefined : track === 'canary' ? s.canary : s.stable;
  }

  /** The route counters of `service`, ordered by edge then route; undefined when none. */
  routes(service: string): RouteTraffic[] | undefined {
    const s = this.services.get(service);
    if (s === undefined || s.routes.size === 0) return undefined;
    return [...s.routes.values()]
      .sort((a, b) => (a.edge === b.edge ? compare(a.route, b.route) : compare(a.edge, b.edge)))
      .map((c) => c.toJSON());
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
