/**
 * What the evaluator measures, per metric and service: `Readings`. `observedReadings` derives the
 * runtime's share from what `observe` reports (unavailable replicas, restarts since the last look,
 * open circuits); the gateway's traffic (error rate, p99) and the release and cron events are added
 * by their own sources into the same shape.
 */
import type { ServiceStatus, TrackTraffic } from '../model/observation.js';
import { intervalOf, quantileMs } from '../release/analysis.js';
import type { AlertMetric } from './rule.js';

/** One measured value; `service` absent for a value of the whole app (a release event). */
export interface Reading {
  service?: string;
  value: number;
}

/** Readings of an app in an environment, by metric. A metric without readings is not breached. */
export type Readings = Map<AlertMetric, Reading[]>;

/** Restart counts seen per replica (`service/replica id`), carried from one look to the next. */
export type RestartCounts = Map<string, number>;

/**
 * Readings from the runtime's observation: `unavailable-replicas` (desired minus ready),
 * `restarts` (restarts since the previous look; a replica seen the first time counts none) and
 * `circuit-open` (1 while the service's breaker is open).
 */
export function observedReadings(
  statuses: readonly ServiceStatus[],
  before: RestartCounts,
): { readings: Readings; restarts: RestartCounts } {
  const unavailable: Reading[] = [];
  const restarted: Reading[] = [];
  const circuit: Reading[] = [];
  const restarts: RestartCounts = new Map();
  for (const s of statuses) {
    unavailable.push({ service: s.service, value: Math.max(0, s.desiredReplicas - s.readyReplicas) });
    let delta = 0;
    for (const r of s.replicas) {
      const key = `${s.service}/${r.id}`;
      const seen = before.get(key);
      if (seen !== undefined) delta += Math.max(0, r.restarts - seen);
      restarts.set(key, r.restarts);
    }
    restarted.push({ service: s.service, value: delta });
    circuit.push({ service: s.service, value: s.circuit?.state === 'open' ? 1 : 0 });
  }
  const readings: Readings = new Map([
    ['unavailable-replicas', unavailable],
    ['restarts', restarted],
    ['circuit-open', circuit],
  ]);
  return { readings, restarts };
}

/** The proxy's cumulative counters per service and track, carried from one look to the next. */
export type TrafficCounters = Map<string, TrackTraffic[]>;

/** A latency histogram: upper bounds (ms) and counts, one more count than bounds (the overflow). */
export type Histogram = Pick<TrackTraffic, 'latencyBucketsMs' | 'latencyCounts'>;

/**
 * One histogram of several (the tracks of a service, each the sum of its replicas' requests), so a
 * quantile is of every request together. Histograms with the same bounds add bucket by bucket; with
 * different bounds, each bucket's count goes to the merged bucket of the same upper bound (the union
 * of all bounds), the overflow to the overflow.
 */
export function mergedHistogram(histograms: readonly Histogram[]): Histogram {
  const bounds = [...new Set(histograms.flatMap((h) => h.latencyBucketsMs))].sort((a, b) => a - b);
  const counts = new Array<number>(bounds.length + 1).fill(0);
  const slot = new Map(bounds.map((b, i) => [b, i]));
  for (const h of histograms)
    h.latencyCounts.forEach((c, i) => {
      const upper = h.latencyBucketsMs[i];
      const at = upper === undefined ? bounds.length : slot.get(upper)!;
      counts[at]! += c;
    });
  return { latencyBucketsMs: bounds, latencyCounts: counts };
}

/**
 * Readings from the gateway's request counters of each service (all its tracks): `error-rate`
 * (5xx / requests) and `p99` (ms, of the tracks' histograms merged) over the interval since the previous look. A service without
 * requests in the interval has an error rate of 0 and no p99; the first look measures nothing.
 */
export function trafficReadings(
  now: ReadonlyMap<string, readonly TrackTraffic[]>,
  before: TrafficCounters,
): { readings: Readings; counters: TrafficCounters } {
  const errorRate: Reading[] = [];
  const p99: Reading[] = [];
  const counters: TrafficCounters = new Map();
  for (const [service, tracks] of now) {
    counters.set(service, [...tracks]);
    const previous = before.get(service);
    if (previous === undefined) continue;
    const intervals = tracks.map((t) =>
      intervalOf(
        previous.find((p) => p.track === t.track),
        t,
      ),
    );
    const requests = intervals.reduce((a, t) => a + t.requests, 0);
    const errors = intervals.reduce((a, t) => a + t.errors, 0);
    errorRate.push({ service, value: requests === 0 ? 0 : errors / requests });
    // The service's p99 is of all its requests: the tracks' histograms merged, not the slower track's p99.
    const q = quantileMs(mergedHistogram(intervals), 0.99);
    if (q !== undefined) p99.push({ service, value: q });
  }
  return {
    readings: new Map([
      ['error-rate', errorRate],
      ['p99', p99],
    ]),
    counters,
  };
}
