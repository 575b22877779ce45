import { describe, expect, it } from 'vitest';
import type { ServiceTraffic } from '../../gateway/table.js';
import { serviceIn } from './trafficIndex.js';

const service = (key: string, requests: number): ServiceTraffic => ({
  key,
  tracks: [
    { track: 'stable', requests, errors: 0, latencyBucketsMs: [10], latencyCounts: [requests, 0], latencySumMs: 0 },
  ],
});

describe('serviceIn', () => {
  it("finds each service of a reading by key, and a later reading's own counters", () => {
    const first = [service('shop/dev/a', 1), service('shop/dev/b', 2)];
    expect(serviceIn(first, 'shop/dev/b')?.tracks[0]?.requests).toBe(2);
    expect(serviceIn(first, 'shop/dev/a')?.tracks[0]?.requests).toBe(1);
    expect(serviceIn(first, 'shop/dev/c')).toBeUndefined();
    const second = [service('shop/dev/b', 5)];
    expect(serviceIn(second, 'shop/dev/b')?.tracks[0]?.requests).toBe(5);
    expect(serviceIn(second, 'shop/dev/a')).toBeUndefined();
  });
});
