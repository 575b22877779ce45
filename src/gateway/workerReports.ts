/**
 * Adding up what several gateway workers count (gatewayWorkers.ts): each worker serves a share of
 * the connections of every port with its own listeners, so the gateway's counters are the sums of
 * theirs — listener counters per port, track and route counters per service (histograms bucket by
 * bucket: the buckets are fixed), policy counters, and the most open of their circuit breakers.
 */
import type { PolicyCounters, RouteTraffic, TrackTraffic } from '../model/observation.js';
import type { ListenerStatsJSON } from './listenerTypes.js';
import { severity } from './policy.js';
import type { ServiceTraffic } from './table.js';

/** The listener counters of several workers, one entry per listener (kind, key and port). */
export function sumListenerStats(perWorker: readonly ListenerStatsJSON[][]): ListenerStatsJSON[] {
  const out = new Map<string, ListenerStatsJSON>();
  for (const list of perWorker) {
    for (const l of list) {
      const id = `${l.kind} ${l.key} ${l.port}`;
      const sum = out.get(id);
      if (sum === undefined) {
        out.set(id, { ...l, backends: { ...l.backends } });
        continue;
      }
      sum.requests += l.requests;
      sum.errors += l.errors;
      sum.inFlight += l.inFlight;
      for (const [b, n] of Object.entries(l.backends)) sum.backends[b] = (sum.backends[b] ?? 0) + n;
    }
  }
  return [...out.values()];
}

function addTracks(into: TrackTraffic[], from: readonly TrackTraffic[]): void {
  for (const t of from) {
    const sum = into.find((x) => x.track === t.track);
    if (sum === undefined) {
      into.push({ ...t, latencyBucketsMs: [...t.latencyBucketsMs], latencyCounts: [...t.latencyCounts] });
      continue;
    }
    sum.requests += t.requests;
    sum.errors += t.errors;
    sum.latencySumMs = Math.round((sum.latencySumMs + t.latencySumMs) * 1000) / 1000;
    for (let i = 0; i < t.latencyCounts.length; i++)
      sum.latencyCounts[i] = (sum.latencyCounts[i] ?? 0) + t.latencyCounts[i]!;
  }
}

function addPolicy(into: PolicyCounters | undefined, from: PolicyCounters): PolicyCounters {
  if (into === undefined) return { ...from };
  into.rateLimited += from.rateLimited;
  into.retries += from.retries;
  into.timeouts += from.timeouts;
  into.shortCircuited += from.shortCircuited;
  if (
    from.circuit !== undefined &&
    (into.circuit === undefined || severity[from.circuit.state] > severity[into.circuit.state])
  )
    into.circuit = from.circuit;
  return into;
}

function addRoutes(into: RouteTraffic[], from: readonly RouteTraffic[]): void {
  for (const r of from) {
    const sum = into.find((x) => x.edge === r.edge && x.route === r.route);
    if (sum === undefined) into.push({ edge: r.edge, route: r.route, tracks: [] });
    addTracks((sum ?? into[into.length - 1]!).tracks, r.tracks);
  }
}

/** The per-service traffic of several workers, one entry per service key, in first-seen order. */
export function sumTraffic(perWorker: readonly ServiceTraffic[][]): ServiceTraffic[] {
  const out = new Map<string, ServiceTraffic>();
  for (const list of perWorker) {
    for (const s of list) {
      let sum = out.get(s.key);
      if (sum === undefined) {
        sum = { key: s.key, tracks: [] };
        out.set(s.key, sum);
      }
      addTracks(sum.tracks, s.tracks);
      if (s.unavailable !== undefined) sum.unavailable = (sum.unavailable ?? 0) + s.unavailable;
      if (s.policy !== undefined) sum.policy = addPolicy(sum.policy, s.policy);
      if (s.routes !== undefined) addRoutes((sum.routes ??= []), s.routes);
    }
  }
  return [...out.values()];
}
