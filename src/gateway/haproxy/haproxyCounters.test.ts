/**
 * The HAProxy plane's counters across a Node listener's end: when a service's split or policy ends
 * and its Node listener is dropped, its edge-route counters and its policy actions go on from where
 * they were (carried into the base with its track counters), and a later Node listener adds to them.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceTraffic } from '../table.js';
import type { TrackTraffic } from '../../model/observation.js';
import type { BackendModel } from './config.js';
import type { Counters } from './haproxyCounters.js';
import { carryNodeCounters, serviceTraffic } from './haproxyCounters.js';

const KEY = 'shop/local/web';
const backends: BackendModel[] = [{ key: KEY, stable: [], canary: [] }];

function track(name: 'stable' | 'canary', requests: number, errors = 0): TrackTraffic {
  return {
    track: name,
    requests,
    errors,
    latencyBucketsMs: [10],
    latencyCounts: [requests, 0],
    latencySumMs: requests,
  };
}

/** What a Node listener of the service reports after `n` requests through the edge route, `limited` of them 429. */
function nodeTraffic(n: number, limited: number): ServiceTraffic {
  return {
    key: KEY,
    tracks: [track('stable', n), track('canary', 0)],
    unavailable: 0,
    policy: { rateLimited: limited, retries: 1, timeouts: 0, shortCircuited: 2, circuit: { state: 'closed' } },
    routes: [{ edge: 'shop/local', route: '/', tracks: [track('stable', n), track('canary', 0)] }],
  };
}

const routeRequests = (t: ServiceTraffic | undefined): number =>
  (t?.routes ?? []).reduce((a, r) => a + r.tracks.reduce((b, x) => b + x.requests, 0), 0);

describe('carryNodeCounters', () => {
  it('carries a dropped Node listener’s route counters and policy actions on, and adds a later one’s', () => {
    const base: Record<string, Counters> = {};
    const first = nodeTraffic(10, 3);
    const before = serviceTraffic(backends, [], base, [first])[0]!;
    expect(routeRequests(before)).toBe(10);
    // The split ends: the Node listener goes, its counters into the base in the same tick.
    carryNodeCounters(base, [first], new Set());
    const after = serviceTraffic(backends, [], base, [])[0]!;
    expect(routeRequests(after)).toBe(10);
    expect(after.policy).toEqual({ rateLimited: 3, retries: 1, timeouts: 0, shortCircuited: 2 });
    expect(after.tracks.find((t) => t.track === 'stable')?.requests).toBe(10);
    // A new split: a new Node listener counts from zero, on top of what was carried.
    const again = serviceTraffic(backends, [], base, [nodeTraffic(4, 1)])[0]!;
    expect(routeRequests(again)).toBe(14);
    expect(again.policy).toMatchObject({ rateLimited: 4, retries: 2, shortCircuited: 4, circuit: { state: 'closed' } });
  });

  it('keeps a route track only the later Node listener has (a canary that came after the carry)', () => {
    const base: Record<string, Counters> = {};
    // The first Node listener's route saw the stable track only.
    const first: ServiceTraffic = {
      ...nodeTraffic(6, 0),
      routes: [{ edge: 'shop/local', route: '/', tracks: [track('stable', 6)] }],
    };
    carryNodeCounters(base, [first], new Set());
    // A later split: its Node listener's route counts a canary track the carried one never had.
    const later: ServiceTraffic = {
      ...nodeTraffic(0, 0),
      routes: [{ edge: 'shop/local', route: '/', tracks: [track('stable', 2), track('canary', 5)] }],
    };
    const route = serviceTraffic(backends, [], base, [later])[0]!.routes?.[0];
    expect(route?.tracks.map((t) => [t.track, t.requests, t.latencyCounts[0]])).toEqual([
      ['stable', 8, 8],
      ['canary', 5, 5],
    ]);
    expect(routeRequests(serviceTraffic(backends, [], base, [later])[0])).toBe(13);
  });
});
