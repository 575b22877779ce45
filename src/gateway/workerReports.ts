/**
 * Adding up what several gateway workers count (gatewayWorkers.ts): each worker serves a share of
 * the connections of every port with its own listeners, so the gateway's counters are the sums of
 * theirs — listener counters per port, track and route counters per service (histograms bucket by
 * bucket: the buckets are fixed), policy counters, and the most open of their circuit breakers;
 * the summing itself is trafficSums.ts's, shared with the HAProxy data plane.
 */
import type { ListenerStatsJSON } from './listenerTypes.js';
import type { ServiceTraffic } from './table.js';
import { addPolicy, mergeRoutes, mergeTracks } from './trafficSums.js';

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
      sum.tracks = mergeTracks(sum.tracks, s.tracks);
      if (s.unavailable !== undefined) sum.unavailable = (sum.unavailable ?? 0) + s.unavailable;
      if (s.policy !== undefined) sum.policy = addPolicy(sum.policy, s.policy);
      if (s.routes !== undefined) sum.routes = mergeRoutes(sum.routes, s.routes);
    }
  }
  return [...out.values()];
}
