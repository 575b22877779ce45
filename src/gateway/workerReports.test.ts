import { describe, expect, it } from 'vitest';
import type { ListenerStatsJSON } from './listenerTypes.js';
import type { TrackTraffic } from '../model/observation.js';
import { sumListenerStats, sumTraffic } from './workerReports.js';

const buckets = [1, 2.5, 5];

function track(
  track: 'stable' | 'canary',
  requests: number,
  counts: number[],
  sumMs: number,
  errors = 0,
): TrackTraffic {
  return {
    track,
    requests,
    errors,
    latencyBucketsMs: buckets,
    latencyCounts: counts,
    latencySumMs: sumMs,
  };
}

describe('worker reports', () => {
  it('sums listener counters per listener and backend', () => {
    const a = [
      {
        kind: 'service' as const,
        key: 'a/b/c',
        port: 1,
        requests: 3,
        errors: 1,
        inFlight: 1,
        backends: { x: 2, y: 1 },
      },
    ];
    const b: ListenerStatsJSON[] = [
      { kind: 'service' as const, key: 'a/b/c', port: 1, requests: 2, errors: 0, inFlight: 0, backends: { y: 2 } },
      { kind: 'tcp' as const, key: 'a/b/d:redis', port: 2, requests: 5, errors: 0, inFlight: 0, backends: {} },
    ];
    expect(sumListenerStats([a, b])).toEqual([
      { kind: 'service', key: 'a/b/c', port: 1, requests: 5, errors: 1, inFlight: 1, backends: { x: 2, y: 3 } },
      b[1],
    ]);
    // The inputs are left as they were.
    expect(a[0]!.backends).toEqual({ x: 2, y: 1 });
  });

  it('sums track histograms, routes and policy counters, keeping the most open circuit', () => {
    const one = [
      {
        key: 'a/b/c',
        tracks: [track('stable', 3, [1, 1, 0, 1], 9.5, 1)],
        unavailable: 1,
        policy: { rateLimited: 2, retries: 0, timeouts: 1, shortCircuited: 0, circuit: { state: 'closed' as const } },
        routes: [{ edge: 'a/b', route: '/', tracks: [track('stable', 1, [1, 0, 0, 0], 0.5)] }],
      },
    ];
    const two = [
      {
        key: 'a/b/c',
        tracks: [track('stable', 2, [2, 0, 0, 0], 1.25), track('canary', 1, [0, 1, 0, 0], 2)],
        policy: {
          rateLimited: 1,
          retries: 1,
          timeouts: 0,
          shortCircuited: 4,
          circuit: { state: 'open' as const, reason: '5 failures in a row' },
        },
        routes: [{ edge: 'a/b', route: '/', tracks: [track('stable', 2, [2, 0, 0, 0], 1)] }],
      },
    ];
    expect(sumTraffic([one, two])).toEqual([
      {
        key: 'a/b/c',
        tracks: [track('stable', 5, [3, 1, 0, 1], 10.75, 1), track('canary', 1, [0, 1, 0, 0], 2)],
        unavailable: 1,
        policy: {
          rateLimited: 3,
          retries: 1,
          timeouts: 1,
          shortCircuited: 4,
          circuit: { state: 'open', reason: '5 failures in a row' },
        },
        routes: [{ edge: 'a/b', route: '/', tracks: [track('stable', 3, [3, 0, 0, 0], 1.5)] }],
      },
    ]);
    expect(one[0]!.tracks[0]!.latencyCounts).toEqual([1, 1, 0, 1]);
  });
});
