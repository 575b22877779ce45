import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { createMetrics, routeTrafficText, trafficText } from './metrics.js';
import { trackReading as reading } from './testing/trackReading.js';
import type { Releases } from '../release/releases.js';
import type { Runtime } from '../runtime/runtime.js';

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

describe('route traffic metrics text', () => {
  it('writes per-route counters and histograms with a route label, apart from the per-service families', () => {
    const track = (t: 'stable' | 'canary', counts: number[], sumMs: number, errors = 0) => ({
      track: t,
      requests: counts.reduce((a, b) => a + b, 0),
      errors,
      latencyBucketsMs: [5, 50],
      latencyCounts: counts,
      latencySumMs: sumMs,
    });
    const text = routeTrafficText([
      {
        labels: { app: 'shop', env: 'prod', service: 'api', route: '/api', track: 'stable' },
        traffic: track('stable', [4, 0, 1], 120),
      },
      {
        labels: { app: 'shop', env: 'prod', service: 'api', route: '/api', track: 'canary' },
        traffic: track('canary', [0, 2, 0], 61, 1),
      },
      {
        labels: { app: 'shop', env: 'prod', service: 'api', route: 'admin.example/', track: 'stable' },
        traffic: track('stable', [1, 0, 0], 0.5),
      },
    ]);
    const lines = text.trim().split('\n');
    const l = (route: string, t: string): string =>
      `{app="shop",env="prod",service="api",route="${route}",track="${t}"`;
    expect(lines).toContain(`berth_http_route_requests_total${l('/api', 'stable')}} 5`);
    expect(lines).toContain(`berth_http_route_requests_total${l('/api', 'canary')}} 2`);
    expect(lines).toContain(`berth_http_route_requests_total${l('admin.example/', 'stable')}} 1`);
    expect(lines).toContain(`berth_http_route_request_errors_total${l('/api', 'canary')}} 1`);
    expect(lines).toContain(`berth_http_route_request_errors_total${l('/api', 'stable')}} 0`);
    expect(lines).toContain(`berth_http_route_request_duration_seconds_bucket${l('/api', 'stable')},le="0.005"} 4`);
    expect(lines).toContain(`berth_http_route_request_duration_seconds_bucket${l('/api', 'stable')},le="0.05"} 4`);
    expect(lines).toContain(`berth_http_route_request_duration_seconds_bucket${l('/api', 'stable')},le="+Inf"} 5`);
    expect(lines).toContain(`berth_http_route_request_duration_seconds_bucket${l('/api', 'canary')},le="0.05"} 2`);
    expect(lines).toContain(`berth_http_route_request_duration_seconds_sum${l('/api', 'stable')}} 0.12`);
    expect(lines).toContain(`berth_http_route_request_duration_seconds_count${l('/api', 'stable')}} 5`);
    expect(lines).toContain(`berth_http_route_request_duration_seconds_sum${l('admin.example/', 'stable')}} 0.0005`);
    // 3 series × (2 counters + 3 buckets + sum + count) samples, 3 families × (HELP + TYPE).
    expect(lines.filter((x) => !x.startsWith('#'))).toHaveLength(3 * 7);
    expect(lines.filter((x) => x.startsWith('# TYPE'))).toEqual([
      '# TYPE berth_http_route_requests_total counter',
      '# TYPE berth_http_route_request_errors_total counter',
      '# TYPE berth_http_route_request_duration_seconds histogram',
    ]);
    expect(text).not.toMatch(/^berth_http_requests_total/m);
  });
});

describe('createMetrics', () => {
  it("starts the process's own metrics at the first scrape: memory at once, the event-loop lag from then on", async () => {
    const releases = { apps: async () => [], counts: async () => [] } as unknown as Releases;
    const logger = { warn: () => undefined } as unknown as Logger;
    const metrics = createMetrics({ releases, runtimeFor: async () => ({}) as Runtime, logger });
    const first = await metrics.render();
    expect(first).toMatch(/^berth_controlplane_process_resident_memory_bytes \d+/m);
    // The delay histogram samples every 100 ms once started: a later scrape reads a measured lag.
    const deadline = Date.now() + 10_000;
    let max = Number.POSITIVE_INFINITY;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 150));
      const m = /^berth_controlplane_nodejs_eventloop_lag_max_seconds ([\d.e+-]+)/m.exec(await metrics.render());
      max = Number(m?.[1]);
      if (max < 60) break;
    }
    expect(max).toBeLessThan(60);
  });

  it("keeps the other services' traffic when one service's reading fails", async () => {
    const service = (name: string) => ({ service: name, desiredReplicas: 1, readyReplicas: 1, replicas: [] });
    const runtime = {
      observe: async () => ({ services: [service('a'), service('b'), service('c')] }),
      traffic: async (_app: string, _env: string, s: string) => {
        if (s === 'b') throw new Error('Prometheus at http://127.0.0.1:1 is unreachable');
        return [reading(s === 'a' ? 3 : 5)];
      },
    } as unknown as Runtime;
    const releases = {
      apps: async () => [{ app: 'shop', env: 'prod' }],
      current: async () => ({ kind: 'deploy' }),
      counts: async () => [],
    } as unknown as Releases;
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o) } as unknown as Logger;
    const text = await createMetrics({ releases, runtimeFor: async () => runtime, logger }).render();
    expect(text).toContain('berth_http_requests_total{app="shop",env="prod",service="a",track="stable"} 3');
    expect(text).toContain('berth_http_requests_total{app="shop",env="prod",service="c",track="stable"} 5');
    expect(text).not.toContain('berth_http_requests_total{app="shop",env="prod",service="b"');
    expect(text).toContain('berth_replicas{app="shop",env="prod",service="b"');
    expect(warnings).toHaveLength(1);
  });
});
