/**
 * Per-track traffic of a progressive service on Kubernetes, read from Prometheus (issue 16, point
 * 6): the router's cumulative request counters and latency histogram of each track (queries.ts),
 * as the TrackTraffic one machine's proxy reports, so the same verdict rules (release/analysis.ts)
 * judge them. A track the router has not served yet reads as no requests; a Prometheus that cannot
 * answer rejects with the reason (UnavailableError), which the rollout records as inconclusive.
 */
import type { TrackTraffic } from '../../../model/observation.js';
import type { Track, TrafficRouter } from '../../../model/routing.js';
import { PrometheusClient, type Sample } from './client.js';
import { trackQueries, type TrackQueries } from './queries.js';

/** Where the environment's Prometheus is (the Kubernetes target's `prometheus`). */
export interface PrometheusSettings {
  url: string;
  /** Per query (default 5000 ms). */
  timeoutMs?: number;
}

export interface PrometheusTrafficOptions extends PrometheusSettings {
  router: TrafficRouter;
  namespace: string;
  /** False for a service that runs without tracks: it has no per-track traffic (an empty answer, no query). */
  tracked?: (app: string, env: string, service: string) => boolean;
  /**
   * After a failed reading, readings within this long fail at once with the same reason (default
   * 2000 ms): the control plane's /metrics and alert readings ask for every service, and a Prometheus
   * that is down must not cost each of them a timeout.
   */
  failureHoldMs?: number;
  /** Wall clock in ms. */
  now?: () => number;
}

const FAILURE_HOLD_MS = 2000;

/** Reads `Runtime.traffic` from Prometheus. */
export function prometheusTraffic(
  opts: PrometheusTrafficOptions,
): (app: string, env: string, service: string) => Promise<TrackTraffic[]> {
  const client = new PrometheusClient({
    url: opts.url,
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
  });
  const read = async (service: string, track: Track): Promise<TrackTraffic> => {
    const q = trackQueries(opts.router, opts.namespace, service, track);
    const [requests, buckets, sum] = await Promise.all([
      client.query(q.requests),
      client.query(q.buckets),
      client.query(q.sum),
    ]);
    return trackTraffic(track, q, requests, buckets, sum);
  };
  // The track Services' names are unique in the namespace (an app's service names are its own there).
  const now = opts.now ?? Date.now;
  let failed: { until: number; error: unknown } | undefined;
  return async (app, env, service) => {
    if (opts.tracked?.(app, env, service) === false) return [];
    if (failed && now() < failed.until) throw failed.error;
    try {
      const tracks = await Promise.all([read(service, 'stable'), read(service, 'canary')]);
      failed = undefined;
      return tracks;
    } catch (err) {
      failed = { until: now() + (opts.failureHoldMs ?? FAILURE_HOLD_MS), error: err };
      throw err;
    }
  };
}

/** Milliseconds without float noise (0.005 s * 1000 = 5.000000000000001). */
const ms = (v: number, unitMs: number): number => Math.round(v * unitMs * 1e6) / 1e6;

/**
 * One track's TrackTraffic from the answers of its queries: requests and 5xx from the samples by
 * status, and the cumulative `le` buckets turned into per-bucket counts (the last one unbounded).
 */
export function trackTraffic(
  track: Track,
  q: Pick<TrackQueries, 'statusLabel' | 'unitMs'>,
  byStatus: Sample[],
  buckets: Sample[],
  sum: Sample[],
): TrackTraffic {
  let requests = 0;
  let errors = 0;
  for (const s of byStatus) {
    if (!Number.isFinite(s.value)) continue;
    requests += s.value;
    if (/^5/.test(s.metric[q.statusLabel] ?? '')) errors += s.value;
  }
  const cumulative = buckets
    .map((b) => ({ le: Number(b.metric.le === '+Inf' ? Infinity : b.metric.le), count: b.value }))
    .filter((b) => !Number.isNaN(b.le) && Number.isFinite(b.count))
    .sort((a, b) => a.le - b.le);
  const latencyBucketsMs: number[] = [];
  const latencyCounts: number[] = [];
  let below = 0;
  for (const b of cumulative) {
    if (Number.isFinite(b.le)) latencyBucketsMs.push(ms(b.le, q.unitMs));
    latencyCounts.push(Math.max(0, b.count - below));
    below = Math.max(below, b.count);
  }
  // A histogram always has +Inf; without it the overflow bucket is empty.
  if (cumulative.length > 0 && Number.isFinite(cumulative.at(-1)!.le)) latencyCounts.push(0);
  const total = sum.find((s) => Number.isFinite(s.value))?.value ?? 0;
  return { track, requests, errors, latencyBucketsMs, latencyCounts, latencySumMs: ms(total, q.unitMs) };
}
