/**
 * Request counters of the HAProxy data path: what HAProxy's `show stat` rows say per listener and per
 * service track, and the running totals carried over reloads (a reload starts a worker at zero).
 */
import type { ListenerStatsJSON } from '../listeners.js';
import type { ServiceTraffic } from '../table.js';
import type { PolicyCounters, RouteTraffic, TrackTraffic } from '../../model/observation.js';
import type { StatRow } from './adminSocket.js';
import type { BackendModel, HaproxyModel } from './config.js';
import { nodeSlot, proxyName } from './config.js';
import type { HaproxyLogCounters } from './haproxyLogCounters.js';

type Latency = Pick<TrackTraffic, 'latencyBucketsMs' | 'latencyCounts' | 'latencySumMs'>;

/** The latency histogram of the Node listener's requests `n` and of those HAProxy logged `l`, summed. */
function latencyOf(n: Latency | undefined, l: Latency | undefined): Latency {
  if (n === undefined || n.latencyBucketsMs.length === 0 || l === undefined)
    return (
      l ?? {
        latencyBucketsMs: n?.latencyBucketsMs ?? [],
        latencyCounts: n?.latencyCounts ?? [0],
        latencySumMs: n?.latencySumMs ?? 0,
      }
    );
  return {
    latencyBucketsMs: n.latencyBucketsMs,
    latencyCounts: n.latencyCounts.map((v, i) => v + (l.latencyCounts[i] ?? 0)),
    latencySumMs: Math.round((n.latencySumMs + l.latencySumMs) * 1000) / 1000,
  };
}

/** How many requests a latency histogram holds. */
function countOf(l: Latency | undefined): number {
  return l === undefined ? 0 : l.latencyCounts.reduce((a, b) => a + b, 0);
}

/** Cumulative counters carried over reloads (a new worker starts from zero). */
export interface Counters {
  stable: [number, number];
  canary: [number, number];
  unavailable: number;
  /** Latency histograms of Node listeners dropped since (`carryNodeCounters`), per track. */
  latency?: Partial<Record<'stable' | 'canary', Latency>>;
  /** Edge route counters of Node listeners dropped since. */
  routes?: RouteTraffic[];
  /** Policy counters of Node listeners dropped since (the circuit's state is not carried: it is the live listener's). */
  policy?: PolicyActions;
}

/** The cumulative counts of PolicyCounters. */
type PolicyActions = Pick<PolicyCounters, 'rateLimited' | 'retries' | 'timeouts' | 'shortCircuited'>;

/** `a` and `b` summed; the circuit (live state) is `b`'s. Undefined when both are. */
function addPolicy(a: PolicyActions | undefined, b: PolicyCounters | undefined): PolicyCounters | undefined {
  if (a === undefined) return b;
  const sum: PolicyCounters = {
    rateLimited: a.rateLimited + (b?.rateLimited ?? 0),
    retries: a.retries + (b?.retries ?? 0),
    timeouts: a.timeouts + (b?.timeouts ?? 0),
    shortCircuited: a.shortCircuited + (b?.shortCircuited ?? 0),
  };
  if (b?.circuit !== undefined) sum.circuit = b.circuit;
  return sum;
}

export const zeroCounters = (): Counters => ({ stable: [0, 0], canary: [0, 0], unavailable: 0 });

/** Adds `c` into `into`. */
export function addCounters(into: Counters, c: Counters): void {
  into.stable[0] += c.stable[0];
  into.stable[1] += c.stable[1];
  into.canary[0] += c.canary[0];
  into.canary[1] += c.canary[1];
  into.unavailable += c.unavailable;
}

/**
 * Adds into `base` the per-track counters of the Node listeners' services (`nodeTraffic`) that are
 * not in `staying`: called in the same tick as those listeners are dropped, so a service whose split
 * or policy ends keeps counting from where it was instead of going back.
 */
export function carryNodeCounters(
  base: Record<string, Counters>,
  nodeTraffic: readonly ServiceTraffic[],
  staying: ReadonlySet<string>,
): void {
  for (const t of nodeTraffic) {
    if (staying.has(t.key)) continue;
    const c = zeroCounters();
    for (const x of t.tracks) c[x.track] = [x.requests, x.errors];
    c.unavailable = t.unavailable ?? 0;
    const into = (base[t.key] ??= zeroCounters());
    addCounters(into, c);
    for (const x of t.tracks) {
      const { latencyBucketsMs, latencyCounts, latencySumMs } = latencyOf({ ...x }, into.latency?.[x.track]);
      (into.latency ??= {})[x.track] = { latencyBucketsMs, latencyCounts, latencySumMs };
    }
    // Its edge routes and policy actions go on too (a later Node listener for it starts at zero).
    const routes = mergeRoutes(into.routes, t.routes);
    if (routes !== undefined) into.routes = routes;
    const policy = addPolicy(into.policy, t.policy);
    if (policy !== undefined) {
      const { circuit: _live, ...actions } = policy;
      into.policy = actions;
    }
  }
}

/** Per-service counters of the current worker, from its `show stat` rows. */
export function countersFrom(rows: readonly StatRow[], backends: readonly BackendModel[]): Map<string, Counters> {
  const byProxy = new Map(backends.map((b) => [proxyName('s', b.key), b.key]));
  const out = new Map<string, Counters>();
  for (const r of rows) {
    const key = byProxy.get(r.proxy);
    if (key === undefined) continue;
    const c = out.get(key) ?? zeroCounters();
    out.set(key, c);
    if (r.name === 'BACKEND') c.unavailable += r.errors5xx;
    else if (r.name !== 'FRONTEND' && r.name !== nodeSlot) {
      const t = r.name.startsWith('c') ? c.canary : c.stable;
      t[0] += r.requests;
      t[1] += r.errors5xx;
      c.unavailable -= r.errors5xx;
    } else if (r.name === nodeSlot) c.unavailable -= r.errors5xx;
  }
  return out;
}

/**
 * The route counters Node kept and those HAProxy's log lines gave, one entry per edge route (a route
 * served by each in turn, as its service gained and lost a split, sums both), ordered by edge then route.
 */
function mergeRoutes(
  node: readonly RouteTraffic[] | undefined,
  logged: readonly RouteTraffic[] | undefined,
): RouteTraffic[] | undefined {
  if (logged === undefined || logged.length === 0) return node?.slice();
  if (node === undefined || node.length === 0) return logged.slice();
  const byId = new Map<string, RouteTraffic>();
  for (const r of [...node, ...logged]) {
    const id = `${r.edge} ${r.route}`;
    const seen = byId.get(id);
    if (seen === undefined) {
      byId.set(id, r);
      continue;
    }
    byId.set(id, {
      edge: r.edge,
      route: r.route,
      tracks: seen.tracks.map((t) => {
        const o = r.tracks.find((x) => x.track === t.track);
        return o === undefined
          ? t
          : { track: t.track, requests: t.requests + o.requests, errors: t.errors + o.errors, ...latencyOf(t, o) };
      }),
    });
  }
  return [...byId.values()].sort((a, b) =>
    a.edge === b.edge ? (a.route < b.route ? -1 : a.route > b.route ? 1 : 0) : a.edge < b.edge ? -1 : 1,
  );
}

/** Counters of HAProxy's public listeners, from `rows` (the last poll). */
export function listenerStats(rows: readonly StatRow[], model: HaproxyModel | undefined): ListenerStatsJSON[] {
  const fe = new Map(rows.filter((r) => r.name === 'FRONTEND').map((r) => [r.proxy, r]));
  const out: ListenerStatsJSON[] = [];
  for (const [kind, list] of [
    ['service', model?.services ?? []],
    ['edge', model?.edges ?? []],
    ['tcp', model?.tcp ?? []],
  ] as const) {
    for (const l of list) {
      const r = fe.get(proxyName('f', kind === 'edge' ? `edge/${l.key}` : l.key));
      out.push({
        kind,
        key: l.key,
        port: l.port,
        requests: r?.requests ?? 0,
        errors: r?.errors5xx ?? 0,
        inFlight: r?.sessions ?? 0,
        backends: {},
      });
    }
  }
  return out;
}

/**
 * Per-track counters: HAProxy's (current worker's `rows` plus the counts `carried` over reloads, the
 * latency histograms and edge routes its log lines gave `logged`) for native services, added to the
 * Node listeners' (`nodeTraffic`) for services and edges Node serves.
 */
export function serviceTraffic(
  backends: readonly BackendModel[],
  rows: readonly StatRow[],
  carried: Readonly<Record<string, Counters>>,
  nodeTraffic: readonly ServiceTraffic[],
  logged?: HaproxyLogCounters,
): ServiceTraffic[] {
  const fromNode = new Map(nodeTraffic.map((t) => [t.key, t]));
  const current = countersFrom(rows, backends);
  const out: ServiceTraffic[] = [];
  for (const b of backends) {
    const c = current.get(b.key) ?? zeroCounters();
    const base = carried[b.key] ?? zeroCounters();
    const node = fromNode.get(b.key);
    const track = (name: 'stable' | 'canary'): ServiceTraffic['tracks'][number] => {
      const n = node?.tracks.find((t) => t.track === name);
      const l = logged?.latency(b.key, name)?.toJSON();
      // The latency first: a histogram from the log lines carries their own request count, not the exact one.
      // HAProxy's requests: show stat's (exact, polled) or the log lines' (live) when those are ahead of
      // the last poll, so the histogram's count never runs ahead of the requests right after a burst.
      const carriedNode = countOf(base.latency?.[name]);
      const haproxy = Math.max(c[name][0] + base[name][0] - carriedNode, countOf(l));
      return {
        track: name,
        ...latencyOf(latencyOf(n, base.latency?.[name]), l),
        requests: haproxy + carriedNode + (n?.requests ?? 0),
        errors: c[name][1] + base[name][1] + (n?.errors ?? 0),
      };
    };
    const t: ServiceTraffic = {
      key: b.key,
      tracks: [track('stable'), track('canary')],
      unavailable: Math.max(0, c.unavailable + base.unavailable) + (node?.unavailable ?? 0),
    };
    const policy = addPolicy(base.policy, node?.policy);
    if (policy !== undefined) t.policy = policy;
    const routes = mergeRoutes(mergeRoutes(base.routes, node?.routes), logged?.routes(b.key));
    if (routes !== undefined) t.routes = routes;
    out.push(t);
  }
  return out;
}
