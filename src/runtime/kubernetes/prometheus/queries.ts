/**
 * The PromQL that reads one track of a progressive service from the metrics of the traffic router
 * that splits it (issue 16, point 6). Each track's Service is `<service>-stable` / `<service>-canary`
 * (manifests/tracks.ts); the queries select them as each router labels its requests:
 *
 * - `ingressNginx`: the canary Ingress is merged into the app's Ingress, whose location sends to
 *   `<service>-stable`; ingress-nginx labels every request with that `service` and, when it went to
 *   the canary backend, with `canary` = the canary's upstream name (empty otherwise; ingress-nginx
 *   ≥ 1.1, kubernetes/ingress-nginx#7696). Metrics `nginx_ingress_controller_requests` and
 *   `nginx_ingress_controller_request_duration_seconds` (seconds).
 * - `gatewayApi`: Istio as the Gateway API implementation. Its gateway reports each request
 *   (`reporter="source"`) with `destination_service_name` = the HTTPRoute backend it chose. Metrics
 *   `istio_requests_total` and `istio_request_duration_milliseconds` (milliseconds).
 *
 * Every query is an instant sum of cumulative counters, so a reading is what the proxy's own
 * counters are on one machine: the verdict rules take differences of two readings. Pure.
 */
import { TrafficRouter } from '../../../model/routing.js';
import type { Track } from '../../../model/routing.js';
import { trackServiceName } from '../manifests/tracks.js';

/** The queries of one track. */
export interface TrackQueries {
  /** Requests by status code: `sum by (<statusLabel>) (...)`. */
  requests: string;
  /** The label `requests` is grouped by (a 5xx value counts as an error). */
  statusLabel: string;
  /** Cumulative latency buckets: `sum by (le) (..._bucket)`. */
  buckets: string;
  /** Sum of latencies: `sum(..._sum)`. */
  sum: string;
  /** Milliseconds per unit of `le` and of the sum (1000 for seconds). */
  unitMs: number;
}

/** A PromQL string literal (label values are DNS names, but quote whatever comes). */
export function promString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function selector(labels: [name: string, op: '=' | '!=' | '=~', value: string][]): string {
  return `{${labels.map(([n, op, v]) => `${n}${op}${promString(v)}`).join(',')}}`;
}

/** The queries of `track` of `service` in `namespace`, for the router that splits it. */
export function trackQueries(router: TrafficRouter, namespace: string, service: string, track: Track): TrackQueries {
  if (router === TrafficRouter.ingressNginx) {
    const sel = selector([
      ['namespace', '=', namespace],
      ['service', '=', trackServiceName(service, 'stable')],
      ['canary', track === 'canary' ? '!=' : '=', ''],
    ]);
    return {
      requests: `sum by (status) (nginx_ingress_controller_requests${sel})`,
      statusLabel: 'status',
      buckets: `sum by (le) (nginx_ingress_controller_request_duration_seconds_bucket${sel})`,
      sum: `sum(nginx_ingress_controller_request_duration_seconds_sum${sel})`,
      unitMs: 1000,
    };
  }
  const sel = selector([
    ['reporter', '=', 'source'],
    ['destination_service_namespace', '=', namespace],
    ['destination_service_name', '=', trackServiceName(service, track)],
  ]);
  return {
    requests: `sum by (response_code) (istio_requests_total${sel})`,
    statusLabel: 'response_code',
    buckets: `sum by (le) (istio_request_duration_milliseconds_bucket${sel})`,
    sum: `sum(istio_request_duration_milliseconds_sum${sel})`,
    unitMs: 1,
  };
}

/** The metric names each router's queries read (docs and error messages). */
export function routerMetrics(router: TrafficRouter): string[] {
  return router === TrafficRouter.ingressNginx
    ? ['nginx_ingress_controller_requests', 'nginx_ingress_controller_request_duration_seconds']
    : ['istio_requests_total', 'istio_request_duration_milliseconds'];
}
