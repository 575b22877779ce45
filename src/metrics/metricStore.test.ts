import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCounts, encodeCounts } from './histogram.js';
import { MetricStore, MINUTE_MS, type TrafficSample } from './metricStore.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-metrics-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = { app: 'shop', env: 'local', service: 'web', track: 'stable', route: '' };
const bounds = [1, 10, 100];
const sample = (requests: number, counts: number[], errors = 0): TrafficSample => ({
  key,
  requests,
  errors,
  sumMs: requests * 5,
  counts,
  bounds,
});
const T0 = Date.UTC(2026, 11, 6, 10, 0, 0);

describe('histogram blobs', () => {
  it('round-trips counts as varints, a zero bucket one byte', () => {
    const counts = [0, 1, 127, 128, 300, 2 ** 40];
    expect(decodeCounts(encodeCounts(counts))).toEqual(counts);
    expect(encodeCounts([0, 0, 0, 5]).length).toBe(4);
    // Empty buckets at the end are left out.
    expect(decodeCounts(encodeCounts([3, 0, 2, 0, 0, 0]))).toEqual([3, 0, 2]);
  });
});

describe('MetricStore', () => {
  it('keeps samples in a SQLite file, one row per series and tick, and reads them back after a reopen', () => {
    const file = join(dir, 'metrics.db');
    let store = new MetricStore({ file });
    expect(store.fresh).toBe(true);
    store.write(
      T0,
      [sample(3, [1, 2, 0, 0])],
      [{ key: { ...key, track: '', route: '' }, restarts: 1, ready: 2, desired: 2, cpu: 4.5, memory: 1000 }],
    );
    store.write(T0 + 10_000, [sample(0, [0, 0, 0, 0])], []);
    store.close();
    store = new MetricStore({ file });
    expect(store.fresh).toBe(false);
    const [s] = store.series('shop', 'local', 'traffic');
    expect(s).toMatchObject({ service: 'web', track: 'stable', route: '', bounds });
    expect(store.trafficRows('raw', [s!.id], T0, T0 + 60_000)).toEqual([
      { series: s!.id, t: T0, requests: 3, errors: 0, sumMs: 15, counts: [1, 2] },
      { series: s!.id, t: T0 + 10_000, requests: 0, errors: 0, sumMs: 0, counts: [] },
    ]);
    const [r] = store.series('shop', 'local', 'replicas');
    expect(store.replicaRows('raw', [r!.id], T0, T0 + 1)).toEqual([
      { series: r!.id, t: T0, cpu: 4.5, memory: 1000, restarts: 1, ready: 2, desired: 2 },
    ]);
    store.close();
  });

  it('rolls whole minutes up: requests summed, histograms bucket by bucket, gauges averaged, restarts summed', () => {
    const store = new MetricStore({ file: join(dir, 'metrics.db') });
    const rk = { ...key, track: '', route: '' };
    for (let i = 0; i < 6; i++)
      store.write(
        T0 + i * 10_000,
        [sample(2, [1, 0, 1, 0], i === 0 ? 1 : 0)],
        [{ key: rk, restarts: i === 3 ? 2 : 0, ready: i < 3 ? 1 : 2, desired: 2, cpu: 10 * i, memory: 100 }],
      );
    store.write(T0 + MINUTE_MS, [sample(7, [0, 7, 0, 0])], [{ key: rk, restarts: 0, ready: 2, desired: 2 }]);
    // The minute being sampled is not rolled up until it is over.
    expect(store.rollup(T0 + MINUTE_MS + 5_000)).toBe(1);
    const [s] = store.series('shop', 'local', 'traffic');
    const [r] = store.series('shop', 'local', 'replicas');
    expect(store.trafficRows('1m', [s!.id], T0, T0 + 10 * MINUTE_MS)).toEqual([
      { series: s!.id, t: T0, requests: 12, errors: 1, sumMs: 60, counts: [6, 0, 6] },
    ]);
    expect(store.replicaRows('1m', [r!.id], T0, T0 + 10 * MINUTE_MS)).toEqual([
      { series: r!.id, t: T0, cpu: 25, memory: 100, restarts: 2, ready: 1.5, desired: 2 },
    ]);
    // Nothing is rolled twice; the next minute when it is over.
    expect(store.rollup(T0 + MINUTE_MS + 9_000)).toBe(0);
    expect(store.rollup(T0 + 2 * MINUTE_MS)).toBe(1);
    expect(store.trafficRows('1m', [s!.id], T0, T0 + 10 * MINUTE_MS).map((x) => x.requests)).toEqual([12, 7]);
    store.close();
  });

  it('drops rows past each resolution retention, a bounded number a call', () => {
    const store = new MetricStore({
      file: join(dir, 'metrics.db'),
      rawRetentionMs: 60_000,
      rollupRetentionMs: 3 * MINUTE_MS,
    });
    // As the sampler does: a write, then a rollup of the minutes that are over.
    for (let i = 0; i < 60; i++) {
      store.write(T0 + i * 10_000, [sample(1, [1, 0, 0, 0])], []);
      store.rollup(T0 + (i + 1) * 10_000);
    }
    expect(store.counts()).toMatchObject({ traffic_raw: 60, traffic_1m: 10 });
    const now = T0 + 10 * MINUTE_MS;
    // Raw: the 54 samples older than a minute go, at most 20 rows of a series a call; the
    // rollups of the 7 minutes older than three minutes go with the first call.
    expect(store.prune(now, 500, 20)).toBe(20 + 7);
    expect(store.prune(now, 500, 20)).toBe(20);
    expect(store.prune(now, 500, 20)).toBe(14);
    expect(store.counts()).toMatchObject({ traffic_raw: 6, traffic_1m: 3 });
    expect(store.prune(now)).toBe(0);
    store.close();
  });
});
