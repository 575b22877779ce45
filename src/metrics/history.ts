/**
 * Reading the metric history: which resolution and step a range is read at, and the points of one
 * metric per service (per track or route when asked), summed over the series it covers. Quantiles
 * come from the step's summed latency histograms, as src/release/analysis.ts computes them.
 */
import { quantileMs } from '../release/analysis.js';
import type { MetricName, MetricPoint, MetricResolution, MetricSeriesView } from '../model/metricHistory.js';
import { TRAFFIC_METRICS } from '../model/metricHistory.js';
import { addCounts } from './histogram.js';
import { MINUTE_MS, type MetricStore, type SeriesRow } from './metricStore.js';

/** At most about this many points a series answers: a longer range gets a wider step. */
export const MAX_POINTS = 360;
/** Ranges up to this long are read from raw samples (while within their retention). */
export const RAW_RANGE_MS = 6 * 3_600_000;

export const UNITS: Record<MetricName, string> = {
  requests: 'count',
  rps: '1/s',
  errors: 'count',
  errorRate: 'ratio',
  p50: 'ms',
  p99: 'ms',
  cpu: 'percent',
  memory: 'bytes',
  restarts: 'count',
  ready: 'replicas',
  desired: 'replicas',
};

export interface HistoryQuery {
  app: string;
  env: string;
  metric: MetricName;
  service?: string;
  track?: string;
  route?: string;
  from: number;
  to: number;
  /** The step asked for (ms); widened to keep under MAX_POINTS and to a multiple of the resolution. */
  stepMs?: number;
}

export interface HistoryAnswer {
  unit: string;
  stepMs: number;
  resolution: MetricResolution;
  series: MetricSeriesView[];
}

/**
 * The resolution and step a range is read at: raw samples for a range of up to RAW_RANGE_MS that
 * lies within their retention (the minute being sampled is in no rollup yet), else the one-minute
 * rollups; the step a multiple of the resolution's interval, wide enough for at most MAX_POINTS points.
 */
export function resolutionOf(
  q: Pick<HistoryQuery, 'from' | 'to' | 'stepMs'>,
  opts: { nowMs: number; rawIntervalMs: number; rawRetentionMs: number },
): { resolution: MetricResolution; stepMs: number } {
  const wanted = Math.max(q.stepMs ?? 0, Math.ceil((q.to - q.from) / MAX_POINTS));
  const raw = q.from >= opts.nowMs - opts.rawRetentionMs && q.to - q.from <= RAW_RANGE_MS;
  const unit = raw ? opts.rawIntervalMs : MINUTE_MS;
  return { resolution: raw ? 'raw' : '1m', stepMs: Math.max(unit, Math.ceil(wanted / unit) * unit) };
}

interface TrafficSum {
  requests: number;
  errors: number;
  counts: number[];
}
interface ReplicaSum {
  n: number;
  cpu: number;
  cpuN: number;
  memory: number;
  memoryN: number;
  restarts: number;
  ready: number;
  desired: number;
}

const lineKey = (s: SeriesRow, q: HistoryQuery): string =>
  JSON.stringify([s.service, q.track !== undefined ? s.track : null, q.route !== undefined ? s.route : null]);

function trafficValue(metric: MetricName, v: TrafficSum | undefined, stepMs: number, bounds: number[]): number | null {
  if (!v) return null;
  switch (metric) {
    case 'requests':
      return v.requests;
    case 'rps':
      return v.requests / (stepMs / 1000);
    case 'errors':
      return v.errors;
    case 'errorRate':
      return v.requests > 0 ? v.errors / v.requests : null;
    default: {
      const q = quantileMs({ latencyBucketsMs: bounds, latencyCounts: v.counts }, metric === 'p50' ? 0.5 : 0.99);
      return q ?? null;
    }
  }
}

function replicaValue(metric: MetricName, v: ReplicaSum | undefined): number | null {
  if (!v || v.n === 0) return null;
  switch (metric) {
    case 'cpu':
      return v.cpuN > 0 ? v.cpu / v.cpuN : null;
    case 'memory':
      return v.memoryN > 0 ? Math.round(v.memory / v.memoryN) : null;
    case 'restarts':
      return v.restarts;
    case 'ready':
      return v.ready / v.n;
    default:
      return v.desired / v.n;
  }
}

/**
 * One metric's points over a range, a series per service (or per track / route when asked). The
 * rows are read series by series, yielding to the event loop between them: a month of one-minute
 * rollups of many services is millions of rows, and the control plane keeps serving meanwhile.
 */
export async function readHistory(
  store: MetricStore,
  q: HistoryQuery,
  opts: { nowMs: number; rawIntervalMs: number },
): Promise<HistoryAnswer> {
  const { resolution, stepMs } = resolutionOf(q, { ...opts, rawRetentionMs: store.rawRetentionMs });
  const first = Math.floor(q.from / stepMs) * stepMs;
  const n = Math.max(1, Math.ceil((q.to - first) / stepMs));
  const traffic = TRAFFIC_METRICS.includes(q.metric);
  const rows = store.series(q.app, q.env, traffic ? 'traffic' : 'replicas', {
    ...(q.service !== undefined ? { service: q.service } : {}),
    ...(traffic && q.track !== undefined ? { track: q.track } : {}),
    // A service's own series (route '') counts every request to it; a route's only that route's.
    ...(traffic ? { route: q.route ?? '' } : {}),
  });
  const lines = new Map<string, { view: Omit<MetricSeriesView, 'points'>; ids: Set<number>; bounds: number[] }>();
  for (const s of rows) {
    const k = lineKey(s, q);
    let line = lines.get(k);
    if (!line) {
      const view = {
        service: s.service,
        ...(traffic && q.track !== undefined ? { track: s.track } : {}),
        ...(traffic && q.route !== undefined ? { route: s.route } : {}),
      };
      lines.set(k, (line = { view, ids: new Set(), bounds: s.bounds }));
    }
    line.ids.add(s.id);
  }
  const series: MetricSeriesView[] = [];
  for (const line of lines.values()) {
    await new Promise((resolve) => setImmediate(resolve));
    const ids = [...line.ids];
    const buckets = new Map<number, TrafficSum | ReplicaSum>();
    const bucketOf = (t: number): number => Math.floor((t - first) / stepMs);
    if (traffic) {
      for (const r of store.trafficRows(resolution, ids, first, q.to)) {
        const b = bucketOf(r.t);
        let v = buckets.get(b) as TrafficSum | undefined;
        if (!v) buckets.set(b, (v = { requests: 0, errors: 0, counts: [] }));
        v.requests += r.requests;
        v.errors += r.errors;
        addCounts(v.counts, r.counts);
      }
    } else {
      for (const r of store.replicaRows(resolution, ids, first, q.to)) {
        const b = bucketOf(r.t);
        let v = buckets.get(b) as ReplicaSum | undefined;
        if (!v)
          buckets.set(b, (v = { n: 0, cpu: 0, cpuN: 0, memory: 0, memoryN: 0, restarts: 0, ready: 0, desired: 0 }));
        v.n++;
        if (r.cpu !== null) {
          v.cpu += r.cpu;
          v.cpuN++;
        }
        if (r.memory !== null) {
          v.memory += r.memory;
          v.memoryN++;
        }
        v.restarts += r.restarts;
        v.ready += r.ready;
        v.desired += r.desired;
      }
    }
    const points: MetricPoint[] = [];
    for (let i = 0; i < n; i++) {
      const v = buckets.get(i);
      points.push([
        first + i * stepMs,
        traffic
          ? trafficValue(q.metric, v as TrafficSum | undefined, stepMs, line.bounds)
          : replicaValue(q.metric, v as ReplicaSum | undefined),
      ]);
    }
    series.push({ ...line.view, points });
  }
  return { unit: UNITS[q.metric], stepMs, resolution, series };
}
