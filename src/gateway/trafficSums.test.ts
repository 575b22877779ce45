import { describe, expect, it } from 'vitest';
import type { TrackTraffic } from '../model/observation.js';
import { addLatency, addPolicy, mergeRoutes, mergeTracks } from './trafficSums.js';

function track(name: 'stable' | 'canary', requests: number, counts: number[], sumMs: number): TrackTraffic {
  return { track: name, requests, errors: 0, latencyBucketsMs: [1, 5], latencyCounts: counts, latencySumMs: sumMs };
}

describe('traffic sums', () => {
  it('adds histograms bucket by bucket; an unfilled one adds nothing', () => {
    const a = track('stable', 2, [1, 1, 0], 3.5);
    expect(addLatency(a, track('stable', 1, [0, 0, 1], 9))).toEqual({
      latencyBucketsMs: [1, 5],
      latencyCounts: [1, 1, 1],
      latencySumMs: 12.5,
    });
    const unfilled = { latencyBucketsMs: [], latencyCounts: [0], latencySumMs: 0 };
    expect(addLatency(unfilled, a)).toEqual({ latencyBucketsMs: [1, 5], latencyCounts: [1, 1, 0], latencySumMs: 3.5 });
    expect(addLatency(undefined, undefined)).toEqual(unfilled);
    expect(a.latencyCounts).toEqual([1, 1, 0]);
  });

  it('merges tracks and routes by name, keeping what only one side has, ordered by edge and route', () => {
    expect(mergeTracks([track('stable', 1, [1, 0, 0], 1)], [track('canary', 2, [0, 2, 0], 4)])).toEqual([
      track('stable', 1, [1, 0, 0], 1),
      track('canary', 2, [0, 2, 0], 4),
    ]);
    const routes = mergeRoutes(
      [{ edge: 'b/e', route: '/', tracks: [track('stable', 1, [1, 0, 0], 1)] }],
      [
        { edge: 'b/e', route: '/', tracks: [track('stable', 1, [1, 0, 0], 1), track('canary', 3, [0, 0, 3], 30)] },
        { edge: 'a/e', route: '/x', tracks: [] },
      ],
    );
    expect(routes).toEqual([
      { edge: 'a/e', route: '/x', tracks: [] },
      { edge: 'b/e', route: '/', tracks: [track('stable', 2, [2, 0, 0], 2), track('canary', 3, [0, 0, 3], 30)] },
    ]);
    expect(mergeRoutes(undefined, undefined)).toBeUndefined();
    expect(mergeRoutes(undefined, [])).toEqual([]);
  });

  it('adds policy actions and keeps the more open circuit', () => {
    const actions = { rateLimited: 1, retries: 2, timeouts: 3, shortCircuited: 4 };
    expect(addPolicy(actions, { ...actions, circuit: { state: 'halfOpen' } })).toEqual({
      rateLimited: 2,
      retries: 4,
      timeouts: 6,
      shortCircuited: 8,
      circuit: { state: 'halfOpen' },
    });
    expect(
      addPolicy({ ...actions, circuit: { state: 'open' } }, { ...actions, circuit: { state: 'closed' } })?.circuit,
    ).toEqual({ state: 'open' });
    expect(addPolicy(undefined, undefined)).toBeUndefined();
  });
});
