/**
 * The control plane's Prometheus metrics (`GET /metrics`, text format 0.0.4).
 *
 * Traffic figures come from the proxy at scrape time, per app, environment, service and track:
 * request and 5xx counters and a latency histogram (its buckets as the proxy keeps them). Release
 * counts come from the store; replica counts and restarts from the runtime; the control plane's own
 * process metrics from prom-client. prom-client holds what this process counts itself; the proxy's
 * histograms are already aggregated elsewhere, so they are written out directly rather than
 * re-observed one request at a time.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';
import type { Releases } from '../release/releases.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ServiceStatus, TrackTraffic } from '../model/observation.js';
import type { TraceCollectorStats } from '../traces/collector.js';

/** What the metrics read. */
export interface MetricsSources {
  releases: Releases;
  runtimeFor(env: string): Promise<Runtime>;
  logger: Logger;
  /** Tracing's counters, when the control plane collects spans. */
  traceStats?: () => TraceCollectorStats;
}

/** Renders the metrics text on each scrape. */
export interface Metrics {
  readonly contentType: string;
  render(): Promise<string>;
}

type Labels = Record<string, string>;

/** `{a="x",b="y"}` with Prometheus escaping. */
function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`,
  );
  return `{${parts.join(',')}}`;
}

/** One series of request counters: its labels and the proxy's counters of one track. */
export interface TrafficSeries {
  labels: Labels;
  traffic: TrackTraffic;
}

/** Names and help texts of the three families of a request-counter set. */
interface TrafficFamilies {
  requests: [name: string, help: string];
  errors: [name: string, help: string];
  duration: [name: string, help: string];
}

/** Request and error counter families and a latency histogram family (seconds) of `series`. */
function requestFamiliesText(names: TrafficFamilies, series: TrafficSeries[]): string {
  const out: string[] = [];
  const family = ([name, help]: [string, string], type: string): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  family(names.requests, 'counter');
  for (const s of series) out.push(`${names.requests[0]}${labelText(s.labels)} ${s.traffic.requests}`);
  family(names.errors, 'counter');
  for (const s of series) out.push(`${names.errors[0]}${labelText(s.labels)} ${s.traffic.errors}`);
  family(names.duration, 'histogram');
  const h = names.duration[0];
  for (const { labels, traffic } of series) {
    let cumulative = 0;
    traffic.latencyBucketsMs.forEach((bound, i) => {
      cumulative += traffic.latencyCounts[i] ?? 0;
      out.push(`${h}_bucket${labelText({ ...labels, le: String(bound / 1000) })} ${cumulative}`);
    });
    cumulative += traffic.latencyCounts[traffic.latencyBucketsMs.length] ?? 0;
    out.push(`${h}_bucket${labelText({ ...labels, le: '+Inf' })} ${cumulative}`);
    out.push(`${h}_sum${labelText(labels)} ${traffic.latencySumMs / 1000}`);
    out.push(`${h}_count${labelText(labels)} ${cumulative}`);
  }
  return `${out.join('\n')}\n`;
}

/** The proxy's per-track counters as Prometheus counter and histogram families. */
export function trafficText(series: TrafficSeries[]): string {
  return requestFamiliesText(
    {
      requests: [
        'berth_http_requests_total',
        'Requests proxied to a service track (its stable address and the edge together).',
      ],
      errors: [
        'berth_http_request_errors_total',
        "Of those, answered with status 500 or above (the proxy's own 502/504 included).",
      ],
      duration: [
        'berth_http_request_duration_seconds',
        'Time from sending a request to a replica to the end of its answer.',
      ],
    },
    series,
  );
}

/**
 * The proxy's per-route, per-track counters (labels app, env, service, route, track; `route` is the
 * route's host, if any, then its path prefix) as Prometheus counter and histogram families. Requests
 * through a service's own address are in no route; berth_http_requests_total holds them all.
 */
export function routeTrafficText(series: TrafficSeries[]): string {
  return requestFamiliesText(
    {
      requests: ['berth_http_route_requests_total', 'Requests proxied through an edge route to a service track.'],
      errors: [
        'berth_http_route_request_errors_total',
        "Of those, answered with status 500 or above (the proxy's own 502/504 included).",
      ],
      duration: [
        'berth_http_route_request_duration_seconds',
        'Time from sending a request of the route to a replica to the end of its answer.',
      ],
    },
    series,
  );
}

/** Creates the metrics of one control plane. */
export function createMetrics(src: MetricsSources): Metrics {
  const registry = new Registry();
  // The process's own metrics start at the first scrape, not at start: the event-loop delay histogram
  // samples on a timer of its own (every 100 ms: prom-client's default of 10 ms was 100 wake-ups a
  // second), ~0.5 ms of CPU a second of a control plane nobody scrapes, and a GC observer runs at every
  // collection. Memory and CPU time are read when scraped; the event-loop lag covers the time since the
  // previous scrape (none at the first) and the GC counts the collections since the first scrape.
  let defaultMetrics = false;
  const startDefaultMetrics = (): void => {
    if (defaultMetrics) return;
    defaultMetrics = true;
    collectDefaultMetrics({ register: registry, prefix: 'berth_controlplane_', eventLoopMonitoringPrecision: 100 });
  };

  const releases = new Counter({
    name: 'berth_releases_total',
    help: 'Releases by app, environment, kind (deploy, rollback, auto-rollback, scale, restart, down) and status.',
    labelNames: ['app', 'env', 'kind', 'status'],
    registers: [registry],
  });
  const replicas = new Gauge({
    name: 'berth_replicas',
    help: 'Replicas of a service track: desired, and ready.',
    labelNames: ['app', 'env', 'service', 'track', 'state'],
    registers: [registry],
  });
  const restarts = new Counter({
    name: 'berth_replica_restarts_total',
    help: 'Restarts of replicas (crashes, failed liveness probes, memory limit), counted while this control plane runs.',
    labelNames: ['app', 'env', 'service'],
    registers: [registry],
  });
  const policy = new Counter({
    name: 'berth_policy_actions_total',
    help: 'What traffic policies did: rate_limited (429), retried, timed_out, short_circuited (answered while the circuit was open).',
    labelNames: ['app', 'env', 'service', 'action'],
    registers: [registry],
  });
  const circuit = new Gauge({
    name: 'berth_circuit_open',
    help: "A service's circuit breaker: 0 closed, 1 open, 0.5 half-open.",
    labelNames: ['app', 'env', 'service'],
    registers: [registry],
  });
  const spans = new Counter({
    name: 'berth_trace_spans_total',
    help: 'Spans of the gateway since the control plane started: stored, or dropped by the gateway because its queue was full.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const spansQueued = new Gauge({
    name: 'berth_trace_spans_queued',
    help: "Spans waiting in the gateway's queue at the last collection.",
    registers: [registry],
  });
  const exported = new Counter({
    name: 'berth_trace_export_spans_total',
    help: 'Spans sent over OTLP since the control plane started: exported (accepted by the collector), failed (refused, retries exhausted, or rejected), dropped (the export queue was full).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const exportQueued = new Gauge({
    name: 'berth_trace_export_queued',
    help: 'Spans waiting to be sent over OTLP.',
    registers: [registry],
  });
  // Last restart count seen per replica: a counter only grows by what is new since the last scrape.
  const seenRestarts = new Map<string, number>();

  const countRestarts = (app: string, env: string, s: ServiceStatus, live: Set<string>): void => {
    for (const r of s.replicas) {
      const key = `${app}/${env}/${r.id}`;
      live.add(key);
      const before = seenRestarts.get(key);
      if (before !== undefined && r.restarts > before)
        restarts.inc({ app, env, service: s.service }, r.restarts - before);
      else restarts.inc({ app, env, service: s.service }, 0);
      seenRestarts.set(key, r.restarts);
    }
  };

  const replicaGauges = (app: string, env: string, s: ServiceStatus): void => {
    const tracks = s.tracks ?? [
      { track: 'stable', desiredReplicas: s.desiredReplicas, readyReplicas: s.readyReplicas, weight: 100 },
    ];
    for (const t of tracks) {
      const labels = { app, env, service: s.service, track: t.track };
      replicas.set({ ...labels, state: 'desired' }, t.desiredReplicas);
      replicas.set({ ...labels, state: 'ready' }, t.readyReplicas);
    }
  };

  return {
    contentType: registry.contentType,
    async render() {
      startDefaultMetrics();
      const t = src.traceStats?.();
      if (t !== undefined) {
        spans.reset();
        spans.inc({ outcome: 'stored' }, t.stored);
        spans.inc({ outcome: 'dropped' }, t.dropped);
        spansQueued.set(t.queued);
        if (t.export !== undefined) {
          exported.reset();
          for (const outcome of ['exported', 'failed', 'dropped'] as const)
            exported.inc({ outcome }, t.export[outcome]);
          exportQueued.set(t.export.queued);
        }
      }
      releases.reset();
      for (const c of await src.releases.counts())
        releases.inc({ app: c.app, env: c.env, kind: c.kind, status: c.status }, c.count);
      replicas.reset();
      policy.reset();
      circuit.reset();
      const series: TrafficSeries[] = [];
      const routeSeries: TrafficSeries[] = [];
      const live = new Set<string>();
      for (const { app, env } of await src.releases.apps()) {
        const current = await src.releases.current(app, env);
        if (!current || current.kind === 'down') continue;
        try {
          const runtime = await src.runtimeFor(env);
          const observed = await runtime.observe(app, env);
          for (const s of observed.services) {
            replicaGauges(app, env, s);
            countRestarts(app, env, s, live);
            // Asked together: the runtime answers all three from one reading of its proxy. A reading
            // that fails (a cluster's Prometheus down) leaves out this service's traffic, not the rest.
            const unread = (err: unknown): undefined => {
              src.logger.warn({ err, app, env, service: s.service }, 'metrics: cannot read traffic');
              return undefined;
            };
            const [tracks, routes, p] = await Promise.all([
              runtime.traffic?.(app, env, s.service).catch(unread),
              runtime.routeTraffic?.(app, env, s.service).catch(unread),
              runtime.policyCounters?.(app, env, s.service).catch(unread),
            ]);
            for (const traffic of tracks ?? [])
              series.push({ labels: { app, env, service: s.service, track: traffic.track }, traffic });
            for (const r of routes ?? [])
              for (const t of r.tracks)
                routeSeries.push({
                  labels: { app, env, service: s.service, route: r.route, track: t.track },
                  traffic: t,
                });
            if (p) {
              const labels = { app, env, service: s.service };
              policy.inc({ ...labels, action: 'rate_limited' }, p.rateLimited);
              policy.inc({ ...labels, action: 'retried' }, p.retries);
              policy.inc({ ...labels, action: 'timed_out' }, p.timeouts);
              policy.inc({ ...labels, action: 'short_circuited' }, p.shortCircuited);
              if (p.circuit)
                circuit.set(labels, p.circuit.state === 'open' ? 1 : p.circuit.state === 'halfOpen' ? 0.5 : 0);
            }
          }
        } catch (err) {
          // One unreachable environment (a cluster down) must not take the others' metrics with it.
          src.logger.warn({ err, app, env }, 'metrics: cannot observe');
        }
      }
      for (const key of seenRestarts.keys()) if (!live.has(key)) seenRestarts.delete(key);
      return (await registry.metrics()) + trafficText(series) + routeTrafficText(routeSeries);
    },
  };
}
