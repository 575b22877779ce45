/**
 * Metric history (issue 16, point 4): what the control plane samples of what Berth measures, kept as
 * time series in `<home>/metrics.db` (src/metrics/), and how the API, the CLI and the console ask for
 * it and read it. Part of the shared model (dependency-free).
 */

/**
 * The metrics a history can be asked for. Traffic (per service, track and route): `requests` and
 * `errors` per step, `rps` (requests per second), `errorRate` (errors / requests, 0–1), `p50` and
 * `p99` (ms, from the latency histograms of the step). Replicas (per service): `cpu` (percent of one
 * core, summed over replicas), `memory` (bytes, summed), `restarts` (per step), `ready` and `desired`.
 */
export const METRIC_NAMES = [
  'requests',
  'rps',
  'errors',
  'errorRate',
  'p50',
  'p99',
  'cpu',
  'memory',
  'restarts',
  'ready',
  'desired',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Metrics read from the traffic series (the others from the replica series). */
export const TRAFFIC_METRICS: readonly MetricName[] = ['requests', 'rps', 'errors', 'errorRate', 'p50', 'p99'];

/** The two resolutions kept: raw samples (every sampler interval) and one-minute rollups. */
export type MetricResolution = 'raw' | '1m';

/** One point: its step's start (ms since the epoch) and value; null when the step has no data. */
export type MetricPoint = [t: number, value: number | null];

/** One line of a history: a service (all its tracks) unless track or route narrow it. */
export interface MetricSeriesView {
  service: string;
  track?: string;
  route?: string;
  points: MetricPoint[];
}

/** What a release did at a time, drawn on a chart's time axis. */
export interface ReleaseMarker {
  /** When the release started (ms since the epoch). */
  t: number;
  at: string;
  revision: number;
  /** deploy; rollback (a manual or automatic one); abort (a deploy that failed or was aborted). */
  kind: 'deploy' | 'rollback' | 'abort';
  /** The release's own kind (deploy, rollback, auto-rollback) and status. */
  releaseKind: string;
  status: string;
  message?: string;
}

/** `GET /api/v1/apps/:app/envs/:env/metrics/history`. */
export interface MetricHistory {
  app: string;
  env: string;
  metric: MetricName;
  /** Unit of the values: count, 1/s, ratio, ms, percent, bytes. */
  unit: string;
  from: number;
  to: number;
  /** Width of a point, ms (a multiple of the resolution's). */
  stepMs: number;
  resolution: MetricResolution;
  series: MetricSeriesView[];
  markers: ReleaseMarker[];
}

/** `GET /api/v1/apps/:app/envs/:env/metrics/markers`. */
export interface ReleaseMarkers {
  app: string;
  env: string;
  from: number;
  to: number;
  markers: ReleaseMarker[];
}
