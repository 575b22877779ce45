import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrackTraffic } from '../model/observation.js';
import { readHistory } from './history.js';
import { MetricStore } from './metricStore.js';
import { startSampler, type AppReading, type ServiceReading } from './sampler.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-sampler-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 11, 6, 10, 0, 0);
const bounds = [10, 100];
/** Cumulative counters: `fast` requests under 10 ms, `slow` between 10 and 100 ms. */
const track = (fast: number, slow = 0, errors = 0, name: 'stable' | 'canary' = 'stable'): TrackTraffic => ({
  track: name,
  requests: fast + slow,
  errors,
  latencyBucketsMs: bounds,
  latencyCounts: [fast, slow, 0],
  latencySumMs: fast * 5 + slow * 50,
});
const web = (tracks: TrackTraffic[], replicas: ServiceReading['replicas'] = []): AppReading => ({
  app: 'shop',
  env: 'local',
  services: [{ service: 'web', tracks, routes: [], replicas, ready: replicas.length, desired: replicas.length }],
});

/** A sampler on `file` driven by hand: each `tick(reading)` samples that reading at the next 10 s. */
function driven(file: string, start: number) {
  const store = new MetricStore({ file });
  let reading: AppReading[] = [];
  let now = start;
  const sampler = startSampler({ store, source: async () => reading, intervalMs: 3_600_000, now: () => now });
  return {
    store,
    now: () => now,
    async tick(r: AppReading) {
      reading = [r];
      now += 10_000;
      await sampler.sample();
    },
    async close() {
      await sampler.stop();
      store.close();
    },
  };
}

const requests = async (store: MetricStore, from: number, to: number, metric: 'requests' | 'restarts' = 'requests') =>
  (
    await readHistory(
      store,
      { app: 'shop', env: 'local', metric, service: 'web', from, to, stepMs: 10_000 },
      { nowMs: to, rawIntervalMs: 10_000 },
    )
  ).series[0]?.points.map(([, v]) => v);

describe('the metric sampler', () => {
  it('records what happened since the last sample, and a counter reset (a restarted gateway) as its new value', async () => {
    const s = driven(join(dir, 'metrics.db'), T0);
    // A new metrics.db takes the counters it first sees as a baseline: they may be days old.
    await s.tick(web([track(100)]));
    await s.tick(web([track(103)]));
    await s.tick(web([track(103)]));
    await s.tick(web([track(1, 1)])); // the gateway restarted: 2 requests since
    await s.tick(web([track(4, 1)]));
    expect(await requests(s.store, T0, s.now() + 1)).toEqual([null, 0, 3, 0, 2, 3]);
    await s.close();
  });

  it('carries on after a control-plane restart: requests served while it was down count in its first sample', async () => {
    const file = join(dir, 'metrics.db');
    let s = driven(file, T0);
    await s.tick(web([track(0)]));
    await s.tick(web([track(10)]));
    const stoppedAt = s.now();
    await s.close();
    s = driven(file, stoppedAt + 60_000);
    // A track never seen before on a store that is not new counts from zero (it is new).
    await s.tick(web([track(25), track(0, 4, 0, 'canary')]));
    expect((await requests(s.store, T0, s.now() + 1))?.filter((v) => v !== null)).toEqual([0, 10, 19]);
    await s.close();
  });

  it('counts restarts of replicas since the last sample, and those of a replica that appeared since', async () => {
    const s = driven(join(dir, 'metrics.db'), T0);
    const r = (id: string, restarts: number) => ({ id, restarts, cpuPercent: 5, memoryBytes: 1 << 20 });
    await s.tick(web([], [r('a', 3)])); // before Berth looked: not counted
    await s.tick(web([], [r('a', 5)]));
    await s.tick(web([], [r('a', 5), r('b', 1)]));
    expect(await requests(s.store, T0, s.now() + 1, 'restarts')).toEqual([null, 0, 2, 1]);
    const cpu = await readHistory(
      s.store,
      { app: 'shop', env: 'local', metric: 'cpu', from: T0, to: s.now() + 1, stepMs: 10_000 },
      { nowMs: s.now(), rawIntervalMs: 10_000 },
    );
    expect(cpu.series[0]?.points.at(-1)?.[1]).toBe(10);
    await s.close();
  });

  it('writes a tick of 100 services (two tracks and a route each) in one short transaction', async () => {
    const s = driven(join(dir, 'metrics.db'), T0);
    const app = (n: number): AppReading => ({
      app: 'big',
      env: 'local',
      services: Array.from({ length: 100 }, (_, i) => ({
        service: `svc${i}`,
        tracks: [track(n * 10, n), track(n, 0, 0, 'canary')],
        routes: [{ edge: 'big/local', route: `/svc${i}`, tracks: [track(n * 10, n)] }],
        replicas: [{ id: `svc${i}-1`, restarts: 0, cpuPercent: 1, memoryBytes: 1e7 }],
        ready: 1,
        desired: 1,
      })),
    });
    const times: number[] = [];
    const sampler = startSampler({
      store: s.store,
      source: async () => [app(times.length)],
      intervalMs: 3_600_000,
      now: () => T0 + times.length * 10_000,
    });
    for (let i = 0; i < 20; i++) {
      await sampler.sample();
      times.push(sampler.stats().writeMs);
    }
    await sampler.stop();
    expect(sampler.stats().rows).toBe(400);
    times.sort((a, b) => a - b);
    // Measured on a busy 2-core machine: a median tick holds the event loop for a few ms.
    console.log(
      `100 services, 400 rows a tick: median ${times[10]!.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms; file ${(await stat(join(dir, 'metrics.db'))).size} B`,
    );
    expect(times[10]).toBeLessThan(100);
    await s.close();
  });

  it('ticks on the beat: a whole-second interval samples on whole multiples of it, each once', async () => {
    const store = new MetricStore({ file: join(dir, 'metrics.db') });
    const at: number[] = [];
    // Started half-way between two beats: an interval counted from the start would tick at ~.5 s.
    await new Promise((r) => setTimeout(r, 1500 - (Date.now() % 1000)));
    const sampler = startSampler({
      store,
      source: async () => (at.push(Date.now()), []),
      intervalMs: 1_000,
    });
    await new Promise((r) => setTimeout(r, 3_300));
    await sampler.stop();
    store.close();
    // Three or four whole seconds passed: a tick on each (a busy machine may fire a timer late).
    expect(at.length).toBeGreaterThanOrEqual(2);
    expect(at.length).toBeLessThanOrEqual(4);
    for (const t of at) expect(t % 1000 < 300 || t % 1000 > 998).toBe(true);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThan(500);
  });
});
