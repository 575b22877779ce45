/** The runtime's share of the readings: unavailable replicas, restarts since the last look, open circuits. */
import { describe, expect, it } from 'vitest';
import type { ReplicaStatus, ServiceStatus, TrackTraffic } from '../model/observation.js';
import { mergedHistogram, observedReadings, trafficReadings } from './readings.js';

/** Counters of one track: latency buckets 10, 100, 1000 ms and the overflow. */
const traffic = (track: 'stable' | 'canary', requests: number, errors: number, counts: number[]): TrackTraffic => ({
  track,
  requests,
  errors,
  latencyBucketsMs: [10, 100, 1000],
  latencyCounts: counts,
  latencySumMs: 0,
});

const replica = (id: string, restarts: number): ReplicaStatus =>
  ({ id, phase: 'ready', hash: 'h', restarts }) as ReplicaStatus;

function status(
  service: string,
  desired: number,
  ready: number,
  replicas: ReplicaStatus[],
  open = false,
): ServiceStatus {
  return {
    app: 'shop',
    env: 'local',
    service,
    desiredReplicas: desired,
    readyReplicas: ready,
    replicas,
    ...(open ? { circuit: { state: 'open' as const } } : {}),
  };
}

describe('readings from what the runtime observes', () => {
  it('counts unavailable replicas, restarts since the previous look, and open circuits per service', () => {
    const first = observedReadings(
      [status('orders', 3, 1, [replica('a', 2), replica('b', 0)]), status('web', 1, 1, [replica('c', 0)], true)],
      new Map(),
    );
    expect(first.readings.get('unavailable-replicas')).toEqual([
      { service: 'orders', value: 2 },
      { service: 'web', value: 0 },
    ]);
    // The first look counts no restart: only what happens while Berth watches.
    expect(first.readings.get('restarts')).toEqual([
      { service: 'orders', value: 0 },
      { service: 'web', value: 0 },
    ]);
    expect(first.readings.get('circuit-open')).toEqual([
      { service: 'orders', value: 0 },
      { service: 'web', value: 1 },
    ]);
    const second = observedReadings(
      [
        status('orders', 3, 3, [replica('a', 5), replica('b', 1), replica('d', 4)]),
        status('web', 1, 1, [replica('c', 0)]),
      ],
      first.restarts,
    );
    expect(second.readings.get('restarts')).toEqual([
      { service: 'orders', value: 4 },
      { service: 'web', value: 0 },
    ]);
    expect(second.readings.get('unavailable-replicas')).toEqual([
      { service: 'orders', value: 0 },
      { service: 'web', value: 0 },
    ]);
  });
});

describe('readings from the gateway’s request counters', () => {
  it('measures error rate and p99 over the interval since the previous look, not since the proxy started', () => {
    const first = trafficReadings(new Map([['orders', [traffic('stable', 1000, 500, [1000, 0, 0, 0])]]]), new Map());
    expect(first.readings.get('error-rate')).toEqual([]);
    const second = trafficReadings(
      new Map([
        ['orders', [traffic('stable', 1100, 510, [1090, 10, 0, 0]), traffic('canary', 100, 40, [0, 0, 100, 0])]],
        ['web', [traffic('stable', 5, 0, [5, 0, 0, 0])]],
      ]),
      first.counters,
    );
    // orders: stable 10 errors of 100, canary (new) 40 of 100 → 50 / 200.
    expect(second.readings.get('error-rate')).toEqual([{ service: 'orders', value: 0.25 }]);
    // Of all 200 requests: 90 under 10 ms, 10 under 100, the canary's 100 between 100 and 1000 ms.
    expect(second.readings.get('p99')![0]!.service).toBe('orders');
    expect(second.readings.get('p99')![0]!.value).toBeCloseTo(982);
    const idle = trafficReadings(new Map([['web', [traffic('stable', 5, 0, [5, 0, 0, 0])]]]), second.counters);
    expect(idle.readings.get('error-rate')).toEqual([{ service: 'web', value: 0 }]);
    expect(idle.readings.get('p99')).toEqual([]);
  });
});

describe('the p99 of a service with several tracks', () => {
  it('is the p99 of every request, from the merged histograms, not the slower track’s p99', () => {
    // 990 fast requests on stable, 10 slow ones on the canary: 99% of the service's requests took under 10 ms.
    const first = trafficReadings(
      new Map([['orders', [traffic('stable', 0, 0, [0, 0, 0, 0]), traffic('canary', 0, 0, [0, 0, 0, 0])]]]),
      new Map(),
    );
    const next = trafficReadings(
      new Map([['orders', [traffic('stable', 990, 0, [990, 0, 0, 0]), traffic('canary', 10, 0, [0, 0, 0, 10])]]]),
      first.counters,
    );
    expect(next.readings.get('p99')).toEqual([{ service: 'orders', value: 10 }]);
    // 2% slow: the p99 is among the slow ones (the overflow bucket's lower bound, 1000 ms).
    const slower = trafficReadings(
      new Map([['orders', [traffic('stable', 1970, 0, [1970, 0, 0, 0]), traffic('canary', 30, 0, [0, 0, 0, 30])]]]),
      next.counters,
    );
    expect(slower.readings.get('p99')).toEqual([{ service: 'orders', value: 1000 }]);
  });

  it('merges histograms with different bounds at their upper bounds', () => {
    expect(
      mergedHistogram([
        { latencyBucketsMs: [10, 100], latencyCounts: [1, 2, 3] },
        { latencyBucketsMs: [50, 100], latencyCounts: [4, 5, 6] },
      ]),
    ).toEqual({ latencyBucketsMs: [10, 50, 100], latencyCounts: [1, 4, 7, 9] });
  });
});
