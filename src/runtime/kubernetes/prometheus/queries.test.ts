import { describe, expect, it } from 'vitest';
import { promString, routerMetrics, trackQueries } from './queries.js';

describe('PromQL per traffic router', () => {
  it('ingress-nginx: both tracks through the app Ingress to <service>-stable, the canary told by its label', () => {
    expect(trackQueries('ingressNginx', 'shop-prod', 'api', 'stable')).toEqual({
      requests:
        'sum by (status) (nginx_ingress_controller_requests{namespace="shop-prod",service="api-stable",canary=""})',
      statusLabel: 'status',
      buckets:
        'sum by (le) (nginx_ingress_controller_request_duration_seconds_bucket{namespace="shop-prod",service="api-stable",canary=""})',
      sum: 'sum(nginx_ingress_controller_request_duration_seconds_sum{namespace="shop-prod",service="api-stable",canary=""})',
      unitMs: 1000,
    });
    const canary = trackQueries('ingressNginx', 'shop-prod', 'api', 'canary');
    expect(canary.requests).toBe(
      'sum by (status) (nginx_ingress_controller_requests{namespace="shop-prod",service="api-stable",canary!=""})',
    );
    expect(canary.buckets).toBe(
      'sum by (le) (nginx_ingress_controller_request_duration_seconds_bucket{namespace="shop-prod",service="api-stable",canary!=""})',
    );
  });

  it("Gateway API (Istio): the gateway's own reports, by the HTTPRoute backend <service>-<track>", () => {
    expect(trackQueries('gatewayApi', 'shop-prod', 'api', 'canary')).toEqual({
      requests:
        'sum by (response_code) (istio_requests_total{reporter="source",destination_service_namespace="shop-prod",destination_service_name="api-canary"})',
      statusLabel: 'response_code',
      buckets:
        'sum by (le) (istio_request_duration_milliseconds_bucket{reporter="source",destination_service_namespace="shop-prod",destination_service_name="api-canary"})',
      sum: 'sum(istio_request_duration_milliseconds_sum{reporter="source",destination_service_namespace="shop-prod",destination_service_name="api-canary"})',
      unitMs: 1,
    });
    expect(trackQueries('gatewayApi', 'ns', 'web', 'stable').requests).toContain(
      'destination_service_name="web-stable"',
    );
  });

  it('quotes label values as PromQL strings', () => {
    expect(promString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
  });

  it('names the metrics each router is read from', () => {
    expect(routerMetrics('ingressNginx')).toEqual([
      'nginx_ingress_controller_requests',
      'nginx_ingress_controller_request_duration_seconds',
    ]);
    expect(routerMetrics('gatewayApi')).toEqual(['istio_requests_total', 'istio_request_duration_milliseconds']);
  });
});
