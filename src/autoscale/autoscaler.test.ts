import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';
import type { AppObservation, ReplicaStatus, ServiceStatus, TrackTraffic } from '../model/observation.js';
import { Track } from '../model/routing.js';
import { createAutoscaler, type ScaleEvent } from './autoscaler.js';
import type { AutoscaleSource, ServiceAutoscale } from './settings.js';

interface FakeTrack {
  revision: number;
  hash: string;
  replicas: number;
  requests: number;
  /** cpuPercent of each replica (percent of one core). */
  cpuPercent?: number;
  /** Phase of replicas added by a scale-up until the test marks them ready. */
  startPhase?: 'ready' | 'starting';
  phases: ReplicaStatus['phase'][];
}

/** A runtime holding one service `web` of app `shop` in env `local`, with a stable and optionally a canary track. */
function fakeRuntime() {
  const tracks: Partial<Record<Track, FakeTrack>> = {
    stable: { revision: 1, hash: 'h1', replicas: 1, requests: 0, phases: ['ready'] },
  };
  const calls: { track: Track; replicas: number }[] = [];
  let failScale: Error | undefined;
  const replicaList = (t: FakeTrack): ReplicaStatus[] =>
    t.phases.map((phase, i) => ({
      id: `${t.hash}-${i}`,
      phase,
      hash: t.hash,
      restarts: 0,
      ...(t.cpuPercent === undefined ? {} : { cpuPercent: t.cpuPercent }),
    }));
  const runtime = {
    kind: 'local',
    async observe(): Promise<AppObservation> {
      const s = tracks.stable!;
      const c = tracks.canary;
      const svc: ServiceStatus = {
        app: 'shop',
        env: 'local',
        service: 'web',
        revision: s.revision,
        hash: s.hash,
        desiredReplicas: s.replicas,
        readyReplicas: s.phases.filter((p) => p === 'ready').length,
        replicas: [...replicaList(s), ...(c ? replicaList(c) : [])],
        ...(c
          ? {
              tracks: [
                {
                  track: Track.stable,
                  revision: s.revision,
                  hash: s.hash,
                  desiredReplicas: s.replicas,
                  readyReplicas: 0,
                  weight: 50,
                },
                {
                  track: Track.canary,
                  revision: c.revision,
                  hash: c.hash,
                  desiredReplicas: c.replicas,
                  readyReplicas: 0,
                  weight: 50,
                },
              ],
            }
          : {}),
      };
      return { services: [svc] };
    },
    async traffic(): Promise<TrackTraffic[]> {
      return (Object.entries(tracks) as [Track, FakeTrack][]).map(([track, t]) => ({
        track,
        requests: t.requests,
        errors: 0,
        latencyBucketsMs: [],
        latencyCounts: [0],
        latencySumMs: 0,
      }));
    },
    async scale(_app: string, _env: string, _service: string, track: Track, replicas: number): Promise<void> {
      if (failScale) throw failScale;
      const t = tracks[track];
      if (!t) throw new NotFoundError(`no ${track}`);
      calls.push({ track, replicas });
      t.phases = Array.from({ length: replicas }, (_, i) => t.phases[i] ?? t.startPhase ?? 'ready');
      t.replicas = replicas;
    },
  } as unknown as Runtime;
  return {
    runtime,
    tracks,
    calls,
    failNextScales(err: Error | undefined) {
      failScale = err;
    },
  };
}

const RPS: ServiceAutoscale = {
  minReplicas: 1,
  maxReplicas: 10,
  requestsPerSecond: 10,
  syncPeriodMs: 1000,
  scaleDownStabilizationMs: 5000,
  tolerance: 0.1,
};

function setup(settings: Record<number, ServiceAutoscale | undefined> = { 1: RPS, 2: RPS }) {
  const fake = fakeRuntime();
  const clock = { ms: 1_700_000_000_000 };
  const events: ScaleEvent[] = [];
  const logs: string[] = [];
  const source: AutoscaleSource = {
    async targets() {
      return [{ app: 'shop', env: 'local' }];
    },
    async settings(_app, _env, revision): Promise<Record<string, ServiceAutoscale>> {
      const s = settings[revision];
      return s ? { web: s } : {};
    },
  };
  const autoscaler = createAutoscaler({
    source,
    runtimeFor: async () => fake.runtime,
    now: () => clock.ms,
    scanIntervalMs: 1000,
    onScale: (e) => events.push(e),
    logger: { info: (_o, m) => logs.push(m), warn: (_o, m) => logs.push(`WARN ${m}`) },
  });
  /** Moves time by `ms` while each track receives `rps[track]` requests per second, then scans. */
  const run = async (ms: number, rps: Partial<Record<Track, number>> = {}) => {
    for (const [track, r] of Object.entries(rps) as [Track, number][]) fake.tracks[track]!.requests += (r * ms) / 1000;
    clock.ms += ms;
    await autoscaler.tick();
  };
  return { ...fake, clock, events, logs, autoscaler, run };
}

describe('the autoscaling loop', () => {
  it('first takes a baseline, then scales a track out on its request rate and reports why', async () => {
    const t = setup();
    await t.autoscaler.tick();
    expect(t.autoscaler.status('shop', 'local')).toMatchObject([
      { service: 'web', track: 'stable', currentReplicas: 1, reason: 'waiting for the first sync period' },
    ]);
    await t.run(1000, { stable: 45 });
    // 45 rps on 1 replica against 10 per replica → ceil(4.5) = 5 (within the first step's limit of 1 + 4)
    expect(t.calls).toEqual([{ track: 'stable', replicas: 5 }]);
    const [st] = t.autoscaler.status('shop', 'local');
    expect(st).toMatchObject({
      currentReplicas: 1,
      desiredReplicas: 5,
      metrics: [{ name: 'requestsPerSecond', target: 10, current: 45 }],
      reason: 'requestsPerSecond above target',
      events: [{ from: 1, to: 5, track: 'stable', reason: 'requestsPerSecond above target' }],
    });
    expect(st!.lastScaleTime).toBe(new Date(t.clock.ms).toISOString());
    expect(t.events).toHaveLength(1);
    expect(t.logs).toEqual(['autoscaled web (stable) of shop/local from 1 to 5: requestsPerSecond above target']);
    expect(t.autoscaler.replicasOf('shop', 'local', 'web', Track.stable)).toBe(5);
    expect(t.autoscaler.replicasOf('shop', 'local', 'web', Track.canary)).toBeUndefined();
  });

  it('evaluates once per sync period, not once per scan', async () => {
    const t = setup({ 1: { ...RPS, syncPeriodMs: 3000 } });
    await t.autoscaler.tick();
    await t.run(1000, { stable: 100 });
    await t.run(1000, { stable: 100 });
    expect(t.calls).toEqual([]);
    await t.run(1000, { stable: 100 });
    // the rate is taken over the whole period: 100 rps → 10 → limited to 1 + 4
    expect(t.calls).toEqual([{ track: 'stable', replicas: 5 }]);
  });

  it('scales back in only after the stabilization window, to min', async () => {
    const t = setup();
    await t.autoscaler.tick();
    await t.run(1000, { stable: 40 });
    expect(t.calls.at(-1)).toEqual({ track: 'stable', replicas: 4 });
    for (let i = 0; i < 4; i++) await t.run(1000, { stable: 0 });
    expect(t.calls).toHaveLength(1); // 4 s of quiet: the 4 of the busy second is still in the 5 s window
    await t.run(1000, { stable: 0 });
    await t.run(1000, { stable: 0 });
    expect(t.calls).toEqual([
      { track: 'stable', replicas: 4 },
      { track: 'stable', replicas: 1 },
    ]);
    expect(t.events.map((e) => `${e.from}→${e.to} ${e.reason}`)).toEqual([
      '1→4 requestsPerSecond above target',
      '4→1 all metrics below target',
    ]);
  });

  it('counts the rate per ready replica and does not scale up for load the starting ones will take', async () => {
    const t = setup();
    t.tracks.stable!.startPhase = 'starting';
    await t.autoscaler.tick();
    await t.run(1000, { stable: 40 });
    expect(t.calls).toEqual([{ track: 'stable', replicas: 4 }]);
    // still 40 rps, 1 ready + 3 starting: 40 per ready replica, but the starting ones count as 0 on a scale-up
    await t.run(1000, { stable: 40 });
    expect(t.calls).toHaveLength(1);
    expect(t.autoscaler.status('shop', 'local')[0]).toMatchObject({
      readyReplicas: 1,
      metrics: [{ name: 'requestsPerSecond', current: 40 }],
    });
  });

  it('scales stable and canary separately: a busy canary grows, an idle stable shrinks on its own window', async () => {
    const t = setup({ 1: RPS, 2: { ...RPS, scaleDownStabilizationMs: 0 } });
    t.tracks.stable = {
      revision: 1,
      hash: 'h1',
      replicas: 4,
      requests: 0,
      phases: ['ready', 'ready', 'ready', 'ready'],
    };
    t.tracks.canary = { revision: 2, hash: 'h2', replicas: 1, requests: 0, phases: ['ready'] };
    await t.autoscaler.tick();
    await t.run(1000, { stable: 0, canary: 30 });
    // canary: 30 rps → 3; stable: idle, but its 5 s window starts with its 4 replicas
    expect(t.calls).toEqual([{ track: 'canary', replicas: 3 }]);
    await t.run(1000, { stable: 0, canary: 5 });
    // the canary's own window is 0 s: down to 1 at once; stable untouched
    expect(t.calls.at(-1)).toEqual({ track: 'canary', replicas: 1 });
    for (let i = 0; i < 5; i++) await t.run(1000, { stable: 0, canary: 10 });
    expect(t.calls.filter((c) => c.track === 'stable')).toEqual([{ track: 'stable', replicas: 1 }]);
    expect(t.calls.filter((c) => c.track === 'canary')).toEqual([
      { track: 'canary', replicas: 3 },
      { track: 'canary', replicas: 1 },
    ]);
    expect(t.autoscaler.status('shop', 'local').map((s) => [s.track, s.revision, s.desiredReplicas])).toEqual([
      ['canary', 2, 1],
      ['stable', 1, 1],
    ]);
  });

  it('starts a new canary from scratch and forgets a canary that is gone', async () => {
    const t = setup({ 1: RPS, 2: RPS, 3: RPS });
    t.tracks.canary = { revision: 2, hash: 'h2', replicas: 1, requests: 0, phases: ['ready'] };
    await t.autoscaler.tick();
    await t.run(1000, { canary: 30 });
    expect(t.calls).toEqual([{ track: 'canary', replicas: 3 }]);
    // another release's canary replaces it: a new baseline, no scale on the old counter
    t.tracks.canary = { revision: 3, hash: 'h3', replicas: 1, requests: 0, phases: ['ready'] };
    await t.run(1000);
    expect(t.calls).toHaveLength(1);
    expect(t.autoscaler.status('shop', 'local').find((s) => s.track === 'canary')).toMatchObject({
      revision: 3,
      events: [],
    });
    delete t.tracks.canary;
    await t.run(1000);
    expect(t.autoscaler.status('shop', 'local').map((s) => s.track)).toEqual(['stable']);
  });

  it('leaves both tracks alone while they run the same version (the promotion hand-over)', async () => {
    const t = setup();
    t.tracks.canary = { revision: 2, hash: 'h1', replicas: 1, requests: 0, phases: ['ready'] };
    await t.autoscaler.tick();
    await t.run(1000, { stable: 100, canary: 100 });
    expect(t.calls).toEqual([]);
    expect(t.autoscaler.status('shop', 'local')).toEqual([]);
  });

  it('scales on CPU as a percentage of the cpu request, leaving starting replicas out', async () => {
    const cpu: ServiceAutoscale = { ...RPS, cpuPercent: 50, cpuRequestMillis: 200 };
    delete cpu.requestsPerSecond;
    const t = setup({ 1: cpu });
    // 20% of a core = 200m = 100% of the 200m request, twice the 50% target
    t.tracks.stable = { revision: 1, hash: 'h1', replicas: 2, requests: 0, cpuPercent: 20, phases: ['ready', 'ready'] };
    await t.autoscaler.tick();
    await t.run(1000);
    expect(t.calls).toEqual([{ track: 'stable', replicas: 4 }]);
    expect(t.autoscaler.status('shop', 'local')[0]!.metrics).toEqual([{ name: 'cpu', target: 50, current: 100 }]);
  });

  it('does not scale on the period after the proxy restarted (its counters went back to 0)', async () => {
    const t = setup();
    await t.autoscaler.tick();
    await t.run(1000, { stable: 5 });
    t.tracks.stable!.requests = 3;
    await t.run(1000);
    expect(t.calls).toEqual([]);
    expect(t.autoscaler.status('shop', 'local')[0]!.metrics[0]!.error).toMatch(/measuring the request rate/);
    await t.run(1000, { stable: 50 });
    expect(t.calls).toEqual([{ track: 'stable', replicas: 5 }]);
  });

  it('reports a failed scale without counting it, and tries again next period', async () => {
    const t = setup();
    await t.autoscaler.tick();
    t.failNextScales(new Error('boom'));
    await t.run(1000, { stable: 30 });
    expect(t.autoscaler.status('shop', 'local')[0]).toMatchObject({ error: 'scaling to 3 failed: boom', events: [] });
    expect(t.logs).toEqual(['WARN scaling to 3 failed: boom']);
    t.failNextScales(undefined);
    await t.run(1000, { stable: 30 });
    expect(t.calls).toEqual([{ track: 'stable', replicas: 3 }]);
    expect(t.autoscaler.status('shop', 'local')[0]!.error).toBeUndefined();
  });

  it('ignores services without autoscale and runtimes that cannot scale (clusters have their own HPA)', async () => {
    const none = setup({});
    await none.autoscaler.tick();
    await none.run(1000, { stable: 100 });
    expect(none.autoscaler.status('shop', 'local')).toEqual([]);

    const t = setup();
    delete (t.runtime as { scale?: unknown }).scale;
    await t.autoscaler.tick();
    await t.run(1000, { stable: 100 });
    expect(t.autoscaler.status('shop', 'local')).toEqual([]);
  });

  it('runs by itself once started, and stops', async () => {
    const fake = fakeRuntime();
    const source: AutoscaleSource = {
      targets: async () => [{ app: 'shop', env: 'local' }],
      settings: async () => ({ web: { ...RPS, syncPeriodMs: 20 } }),
    };
    const autoscaler = createAutoscaler({ source, runtimeFor: async () => fake.runtime, scanIntervalMs: 10 });
    autoscaler.start();
    try {
      const deadline = Date.now() + 5000;
      while (fake.calls.length === 0 && Date.now() < deadline) {
        fake.tracks.stable!.requests += 10;
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(fake.calls[0]?.replicas).toBeGreaterThan(1);
    } finally {
      await autoscaler.stop();
    }
    const n = fake.calls.length;
    fake.tracks.stable!.requests += 10_000;
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.calls).toHaveLength(n);
  });
});
