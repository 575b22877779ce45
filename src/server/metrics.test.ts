import { describe, expect, it } from 'vitest';
import { trafficText } from './metrics.js';

describe('traffic metrics text', () => {
  it('writes counters and a cumulative histogram per track, in seconds, with escaped labels', () => {
    const text = trafficText([
      {
        labels: { app: 'shop', env: 'local', service: 'orders', track: 'canary' },
        traffic: {
          track: 'canary',
          requests: 6,
          errors: 2,
          latencyBucketsMs: [1, 10],
          latencyCounts: [3, 2, 1],
          latencySumMs: 45,
        },
      },
      {
        labels: { app: 'a"b', env: 'local', service: 'x', track: 'stable' },
        traffic: {
          track: 'stable',
          requests: 0,
          errors: 0,
          latencyBucketsMs: [1, 10],
          latencyCounts: [0, 0, 0],
          latencySumMs: 0,
        },
      },
    ]);
    const lines = text.trim().split('\n');
    const l = '{app="shop",env="local",service="orders",track="canary"';
    expect(lines).toContain(`berth_http_requests_total${l}} 6`);
    expect(lines).toContain(`berth_http_request_errors_total${l}} 2`);
    expect(lines).toContain(`berth_http_request_duration_seconds_bucket${l},le="0.001"} 3`);
    expect(lines).toContain(`berth_http_request_duration_seconds_bucket${l},le="0.01"} 5`);
    expect(lines).toContain(`berth_http_request_duration_seconds_bucket${l},le="+Inf"} 6`);
    expect(lines).toContain(`berth_http_request_duration_seconds_sum${l}} 0.045`);
    expect(lines).toContain(`berth_http_request_duration_seconds_count${l}} 6`);
    expect(lines).toContain('berth_http_requests_total{app="a\\"b",env="local",service="x",track="stable"} 0');
    expect(lines.filter((x) => x.startsWith('# TYPE'))).toEqual([
      '# TYPE berth_http_requests_total counter',
      '# TYPE berth_http_request_errors_total counter',
      '# TYPE berth_http_request_duration_seconds histogram',
    ]);
  });
});
