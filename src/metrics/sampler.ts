/**
 * The sampler: every interval it reads what Berth measures of every app and environment the control
 * plane runs (through `source`), turns the proxy's cumulative counters into what happened since the
 * previous sample, and writes one row per series in one transaction; then it rolls whole minutes up
 * and applies retention, both bounded per tick.
 *
 * Counters: a counter lower than before (a restarted gateway counts from zero) starts again from its
 * new value, as Prometheus' rate() does. Each traffic series' last counters are saved with its sample,
 * so a restarted control plane carries on from them: requests served while it was down are counted
 * in its first sample. A series never seen counts from zero (its counters were created since the last
 * sample), except on the first tick of a new metrics.db, whose counters may be much older.
 *
 * Ticks fall on the beat (wakeups.ts): every 10 s at :00, :10, :20…, with supervision's resting 5 s
 * tick, so an idle control plane wakes once for both.
 */
import type { Logger } from 'pino';
import type { RouteTraffic, TrackTraffic } from '../model/observation.js';
import { Nap } from '../wakeups.js';
import { MINUTE_MS, type MetricStore, type ReplicaSample, type SeriesKey, type TrafficSample } from './metricStore.js';

/** One service as the sampler reads it. */
export interface ServiceReading {
  service: string;
  /** The proxy's cumulative counters per track (every request to the service). */
  tracks: TrackTraffic[];
  /** The same per edge route. */
  routes: RouteTraffic[];
  replicas: { id: string; restarts: number; cpuPercent?: number; memoryBytes?: number }[];
  ready: number;
  desired: number;
}

export interface AppReading {
  app: string;
  env: string;
  services: ServiceReading[];
}

/** The cumulative counters of one series, as saved with its last sample. */
interface Cursor {
  r: number;
  e: number;
  s: number;
  c: number[];
}

export interface SamplerOptions {
  store: MetricStore;
  source: () => Promise<AppReading[]>;
  intervalMs: number;
  logger?: Logger;
  now?: () => number;
}

/** What the sampler did at its last tick. */
export interface SamplerStats {
  ticks: number;
  /** Rows written at the last tick. */
  rows: number;
  /** Time the last tick held the event loop writing, rolling up and pruning (ms). */
  writeMs: number;
  /** The longest such hold since the sampler started (ms). */
  maxWriteMs: number;
}

export interface Sampler {
  readonly intervalMs: number;
  /** Samples now (what each tick does). */
  sample(): Promise<void>;
  stats(): SamplerStats;
  stop(): Promise<void>;
}

const keyText = (k: SeriesKey): string => JSON.stringify([k.app, k.env, k.service, k.track, k.route]);

/** The change from `before` to `now`; a counter that went down, or other buckets, mean a reset: `now` alone. */
export function delta(before: Cursor | undefined, now: Cursor): Cursor {
  if (
    !before ||
    now.r < before.r ||
    now.e < before.e ||
    now.c.length !== before.c.length ||
    now.c.some((c, i) => c < before.c[i]!)
  )
    return now;
  return {
    r: now.r - before.r,
    e: now.e - before.e,
    s: Math.max(0, now.s - before.s),
    c: now.c.map((c, i) => c - before.c[i]!),
  };
}

const cursorOf = (t: TrackTraffic): Cursor => ({ r: t.requests, e: t.errors, s: t.latencySumMs, c: t.latencyCounts });

/** Starts sampling every `intervalMs`. */
export function startSampler(opts: SamplerOptions): Sampler {
  const { store } = opts;
  const now = opts.now ?? Date.now;
  const cursors = new Map<string, Cursor>();
  for (const [k, v] of store.cursors()) {
    const [, app, env, service, track, route] = JSON.parse(k) as string[];
    cursors.set(
      keyText({ app: app!, env: env!, service: service!, track: track!, route: route! }),
      JSON.parse(v) as Cursor,
    );
  }
  let baseline = store.fresh;
  const restartsSeen = new Map<string, number>();
  let firstTick = true;
  let lastMaintenance = 0;
  const stats: SamplerStats = { ticks: 0, rows: 0, writeMs: 0, maxWriteMs: 0 };
  let running: Promise<void> | undefined;
  let stopped = false;

  const trafficSample = (key: SeriesKey, t: TrackTraffic, out: TrafficSample[]): void => {
    const k = keyText(key);
    const cur = cursorOf(t);
    const before = cursors.get(k);
    const d = before === undefined && baseline ? { r: 0, e: 0, s: 0, c: cur.c.map(() => 0) } : delta(before, cur);
    cursors.set(k, cur);
    out.push({
      key,
      requests: d.r,
      errors: d.e,
      sumMs: d.s,
      counts: d.c,
      bounds: t.latencyBucketsMs,
      // The counters are saved when they moved (or reset), not on every quiet tick.
      ...(before === undefined || d === cur || d.r > 0 ? { cursor: JSON.stringify(cur) } : {}),
    });
  };

  const tick = async (): Promise<void> => {
    const readings = await opts.source();
    if (stopped) return;
    const t = now();
    const started = performance.now();
    const traffic: TrafficSample[] = [];
    const replicas: ReplicaSample[] = [];
    const live = new Set<string>();
    for (const { app, env, services } of readings)
      for (const s of services) {
        const base = { app, env, service: s.service };
        for (const tr of s.tracks) trafficSample({ ...base, track: tr.track, route: '' }, tr, traffic);
        for (const r of s.routes)
          for (const tr of r.tracks) trafficSample({ ...base, track: tr.track, route: r.route }, tr, traffic);
        let restarts = 0;
        let cpu: number | undefined;
        let memory: number | undefined;
        for (const r of s.replicas) {
          const k = `${app}\0${env}\0${r.id}`;
          live.add(k);
          const before = restartsSeen.get(k);
          // A replica first seen after the first tick is new: its restarts all happened since.
          if (before !== undefined) restarts += Math.max(0, r.restarts - before);
          else if (!firstTick) restarts += r.restarts;
          restartsSeen.set(k, r.restarts);
          if (r.cpuPercent !== undefined) cpu = (cpu ?? 0) + r.cpuPercent;
          if (r.memoryBytes !== undefined) memory = (memory ?? 0) + r.memoryBytes;
        }
        replicas.push({
          key: { ...base, track: '', route: '' },
          restarts,
          ready: s.ready,
          desired: s.desired,
          ...(cpu !== undefined ? { cpu } : {}),
          ...(memory !== undefined ? { memory } : {}),
        });
      }
    for (const k of restartsSeen.keys()) if (!live.has(k)) restartsSeen.delete(k);
    store.write(t, traffic, replicas);
    // Rollup and retention run once a minute, each bounded: a tick stays a short hold of the event loop.
    if (t - lastMaintenance >= MINUTE_MS) {
      lastMaintenance = t;
      store.rollup(t);
      store.prune(t);
    }
    baseline = false;
    firstTick = false;
    stats.ticks++;
    stats.rows = traffic.length + replicas.length;
    stats.writeMs = performance.now() - started;
    stats.maxWriteMs = Math.max(stats.maxWriteMs, stats.writeMs);
    if (stats.writeMs > 200)
      opts.logger?.warn({ ms: Math.round(stats.writeMs), rows: stats.rows }, 'a metrics tick was slow');
  };

  let lastFailure: string | undefined;
  const sample = (): Promise<void> =>
    (running ??= tick()
      .then(() => (lastFailure = undefined))
      .catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        if (message !== lastFailure) opts.logger?.warn({ err }, 'sampling metrics failed; retrying every tick');
        lastFailure = message;
      })
      .then(() => undefined)
      .finally(() => (running = undefined)));

  // On the beat, never two runs at once (a manual sample() meanwhile is the same run).
  const nap = new Nap({ run: () => sample().then(() => false), usualMs: opts.intervalMs, idleMs: opts.intervalMs });
  nap.start();
  return {
    intervalMs: opts.intervalMs,
    sample,
    stats: () => ({ ...stats }),
    async stop() {
      stopped = true;
      await nap.stop();
      await running;
    },
  };
}
