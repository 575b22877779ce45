/**
 * Adding up per-track traffic counters, in one place for every part that sums them: the gateway
 * workers' reports (workerReports.ts: one report per worker) and the HAProxy data plane
 * (haproxy/haproxyCounters.ts: HAProxy's counts, the Node listeners' and those carried over reloads).
 * Latency histograms add bucket by bucket (the buckets are fixed), routes by edge and route, tracks
 * by name; a track or route only one side has is kept as it is. Inputs are never changed.
 */
import type { PolicyCounters, RouteTraffic, TrackTraffic } from '../model/observation.js';
import { severity } from './policy.js';

/** A latency histogram: bucket bounds, counts per bucket (one more: the overflow) and the sum. */
export type Latency = Pick<TrackTraffic, 'latencyBucketsMs' | 'latencyCounts' | 'latencySumMs'>;

/** The cumulative counts of PolicyCounters (without the circuit's live state). */
export type PolicyActions = Pick<PolicyCounters, 'rateLimited' | 'retries' | 'timeouts' | 'shortCircuited'>;

const emptyLatency = (): Latency => ({ latencyBucketsMs: [], latencyCounts: [0], latencySumMs: 0 });

const copyLatency = (l: Latency): Latency => ({
  latencyBucketsMs: l.latencyBucketsMs,
  latencyCounts: [...l.latencyCounts],
  latencySumMs: l.latencySumMs,
});

/** How many requests a histogram holds (0 for none). */
export function countOf(l: Latency | undefined): number {
  return l === undefined ? 0 : l.latencyCounts.reduce((a, b) => a + b, 0);
}

/**
 * Two histograms summed bucket by bucket. A missing one, or one without buckets (a histogram
 * nobody filled), adds nothing: the other's buckets are the result's.
 */
export function addLatency(a: Latency | undefined, b: Latency | undefined): Latency {
  const aHas = a !== undefined && a.latencyBucketsMs.length > 0;
  const bHas = b !== undefined && b.latencyBucketsMs.length > 0;
  if (!aHas || !bHas) {
    const only = aHas ? a : bHas ? b : (a ?? b);
    return only === undefined ? emptyLatency() : copyLatency(only);
  }
  const n = Math.max(a.latencyCounts.length, b.latencyCounts.length);
  const latencyCounts: number[] = [];
  for (let i = 0; i < n; i++) latencyCounts.push((a.latencyCounts[i] ?? 0) + (b.latencyCounts[i] ?? 0));
  return {
    latencyBucketsMs: a.latencyBucketsMs,
    latencyCounts,
    latencySumMs: Math.round((a.latencySumMs + b.latencySumMs) * 1000) / 1000,
  };
}

function copyTrack(t: TrackTraffic): TrackTraffic {
  return { track: t.track, requests: t.requests, errors: t.errors, ...copyLatency(t) };
}

/** Two tracks' counters summed (the same track of two counters). */
export function addTrack(a: TrackTraffic, b: TrackTraffic): TrackTraffic {
  return { track: a.track, requests: a.requests + b.requests, errors: a.errors + b.errors, ...addLatency(a, b) };
}

/** Track lists summed by track name: `a`'s order, then the tracks only `b` has. */
export function mergeTracks(a: readonly TrackTraffic[], b: readonly TrackTraffic[]): TrackTraffic[] {
  const out = a.map(copyTrack);
  for (const t of b) {
    const i = out.findIndex((x) => x.track === t.track);
    if (i < 0) out.push(copyTrack(t));
    else out[i] = addTrack(out[i]!, t);
  }
  return out;
}

/**
 * Edge-route counters summed by edge and route (each route's tracks by name, none lost), ordered by
 * edge then route; undefined when both are.
 */
export function mergeRoutes(
  a: readonly RouteTraffic[] | undefined,
  b: readonly RouteTraffic[] | undefined,
): RouteTraffic[] | undefined {
  if (a === undefined && (b === undefined || b.length === 0)) return b?.slice();
  const byId = new Map<string, RouteTraffic>();
  for (const list of [a ?? [], b ?? []]) {
    for (const r of list) {
      const id = `${r.edge} ${r.route}`;
      const seen = byId.get(id);
      byId.set(id, { edge: r.edge, route: r.route, tracks: mergeTracks(seen?.tracks ?? [], r.tracks) });
    }
  }
  return [...byId.values()].sort((x, y) =>
    x.edge === y.edge ? (x.route < y.route ? -1 : x.route > y.route ? 1 : 0) : x.edge < y.edge ? -1 : 1,
  );
}

/**
 * Policy counters summed; the circuit is the more open of the two (a carried count has none, so a
 * live listener's own state shows). Undefined when both are.
 */
export function addPolicy(
  a: (PolicyActions & { circuit?: PolicyCounters['circuit'] }) | undefined,
  b: PolicyCounters | undefined,
): PolicyCounters | undefined {
  if (a === undefined && b === undefined) return undefined;
  const sum: PolicyCounters = {
    rateLimited: (a?.rateLimited ?? 0) + (b?.rateLimited ?? 0),
    retries: (a?.retries ?? 0) + (b?.retries ?? 0),
    timeouts: (a?.timeouts ?? 0) + (b?.timeouts ?? 0),
    shortCircuited: (a?.shortCircuited ?? 0) + (b?.shortCircuited ?? 0),
  };
  const ca = a?.circuit;
  const cb = b?.circuit;
  const circuit = ca === undefined ? cb : cb === undefined || severity[ca.state] >= severity[cb.state] ? ca : cb;
  if (circuit !== undefined) sum.circuit = circuit;
  return sum;
}

/** Policy counters without the circuit's live state: what carries over when a listener leaves. */
export function policyActions(p: PolicyCounters): PolicyActions {
  return { rateLimited: p.rateLimited, retries: p.retries, timeouts: p.timeouts, shortCircuited: p.shortCircuited };
}
