/**
 * Request counters of the HAProxy data path: what HAProxy's `show stat` rows say per listener and per
 * service track, and the running totals carried over reloads (a reload starts a worker at zero).
 */
import type { ListenerStatsJSON } from '../listeners.js';
import type { ServiceTraffic } from '../table.js';
import type { RouteTraffic } from '../../model/observation.js';
import type { Latency, PolicyActions } from '../trafficSums.js';
import { addLatency, addPolicy, countOf, mergeRoutes, policyActions } from '../trafficSums.js';
import type { StatRow } from './adminSocket.js';
import type { BackendModel, HaproxyModel } from './config.js';
import { nodeSlot, proxyName } from './config.js';
import type { HaproxyLogCounters } from './haproxyLogCounters.js';

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
    for (const x of t.tracks) (into.latency ??= {})[x.track] = addLatency(x, into.latency?.[x.track]);
    // Its edge routes and policy actions go on too (a later Node listener for it starts at zero).
    const routes = mergeRoutes(into.routes, t.routes);
    if (routes !== undefined) into.routes = routes;
    const policy = addPolicy(into.policy, t.policy);
    if (policy !== undefined) into.policy = policyActions(policy);
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
        // A TCP listener counts connections, as the Node plane's does (HAProxy has no requests in mode tcp).
        requests: (kind === 'tcp' ? r?.connections : r?.requests) ?? 0,
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
        ...addLatency(addLatency(n, base.latency?.[name]), l),
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
