import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHistory, resolutionOf } from './history.js';
import { MetricStore, MINUTE_MS, type TrafficSample } from './metricStore.js';

let dir: string;
let store: MetricStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-history-'));
  store = new MetricStore({ file: join(dir, 'metrics.db') });
});
afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 11, 6, 10, 0, 0);
const bounds = [10, 100, 1000];
const sample = (track: string, counts: number[], errors = 0, route = ''): TrafficSample => {
  const requests = counts.reduce((a, b) => a + b, 0);
  return {
    key: { app: 'shop', env: 'local', service: 'web', track, route },
    requests,
    errors,
    sumMs: 0,
    counts,
    bounds,
  };
};
const opts = { nowMs: T0 + 5 * MINUTE_MS, rawIntervalMs: 10_000 };
const q = { app: 'shop', env: 'local', service: 'web', from: T0, to: T0 + MINUTE_MS, stepMs: MINUTE_MS };

describe('reading the metric history', () => {
  it('computes p50 and p99 from the summed histograms of a step, as the release analysis does', async () => {
    // 100 requests in a minute: 90 under 10 ms, 9 under 100 ms, 1 under 1 s, over two samples and two tracks.
    store.write(T0, [sample('stable', [50, 5, 0, 0]), sample('canary', [10, 0, 0, 0])], []);
    store.write(T0 + 10_000, [sample('stable', [30, 4, 1, 0], 2)], []);
    const p50 = await readHistory(store, { ...q, metric: 'p50' }, opts);
    expect(p50).toMatchObject({ unit: 'ms', resolution: 'raw', stepMs: MINUTE_MS });
    // rank 50 of 100 in the first bucket (0–10 ms, 90 requests): 10 * 50/90.
    expect(p50.series).toEqual([{ service: 'web', points: [[T0, (10 * 50) / 90]] }]);
    // rank 99: the 9th of 9 in 10–100 ms → 100 ms.
    expect((await readHistory(store, { ...q, metric: 'p99' }, opts)).series[0]!.points).toEqual([[T0, 100]]);
    expect((await readHistory(store, { ...q, metric: 'errorRate' }, opts)).series[0]!.points).toEqual([[T0, 0.02]]);
    expect((await readHistory(store, { ...q, metric: 'rps' }, opts)).series[0]!.points).toEqual([[T0, 100 / 60]]);
    // Per track when a track is asked for.
    expect((await readHistory(store, { ...q, metric: 'requests', track: 'canary' }, opts)).series).toEqual([
      { service: 'web', track: 'canary', points: [[T0, 10]] },
    ]);
  });

  it('answers a point per step, null where nothing was sampled, and a route apart from the service', async () => {
    store.write(T0 + 10_000, [sample('stable', [3, 0, 0, 0]), sample('stable', [1, 0, 0, 0], 0, '/api')], []);
    const h = await readHistory(store, { ...q, metric: 'requests', stepMs: 20_000 }, opts);
    expect(h.series[0]!.points).toEqual([
      [T0, 3],
      [T0 + 20_000, null],
      [T0 + 40_000, null],
    ]);
    expect((await readHistory(store, { ...q, metric: 'requests', route: '/api' }, opts)).series).toEqual([
      { service: 'web', route: '/api', points: [[T0, 1]] },
    ]);
  });

  it('reads raw samples for a recent short range and one-minute rollups for a long or old one', () => {
    const o = { nowMs: T0, rawIntervalMs: 10_000, rawRetentionMs: 86_400_000 };
    expect(resolutionOf({ from: T0 - 3_600_000, to: T0 }, o)).toEqual({ resolution: 'raw', stepMs: 10_000 });
    expect(resolutionOf({ from: T0 - 3_600_000, to: T0, stepMs: 25_000 }, o)).toEqual({
      resolution: 'raw',
      stepMs: 30_000,
    });
    expect(resolutionOf({ from: T0 - 6 * 3_600_000, to: T0 }, o)).toEqual({ resolution: 'raw', stepMs: MINUTE_MS });
    expect(resolutionOf({ from: T0 - 24 * 3_600_000, to: T0 }, o)).toEqual({ resolution: '1m', stepMs: 4 * MINUTE_MS });
    expect(resolutionOf({ from: T0 - 30 * 86_400_000, to: T0 }, o)).toEqual({
      resolution: '1m',
      stepMs: 2 * 3_600_000,
    });
    // Older than raw retention: rollups even for a short range.
    expect(resolutionOf({ from: T0 - 2 * 86_400_000, to: T0 - 2 * 86_400_000 + 600_000 }, o).resolution).toBe('1m');
  });
});
