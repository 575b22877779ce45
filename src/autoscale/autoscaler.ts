/**
 * The autoscaling loop for runtimes without a cluster's HPA controller (one machine): every
 * autoscaled track of every running release gets its own Hpa, fed once per `syncPeriod` with the
 * replicas' CPU and the track's request rate, and its decision is applied with `runtime.scale`.
 * Stable and canary are separate targets with separate state (recommendations, scale events,
 * request counters), so a canary's scale-down never touches stable and vice versa — the coupling
 * that makes an HPA fight a canary in Argo Rollouts does not exist here.
 */
import type { Runtime } from '../runtime/runtime.js';
import type { ReplicaStatus, ServiceStatus, TrackTraffic } from '../model/observation.js';
import { ReplicaPhase } from '../model/observation.js';
import { Track } from '../model/routing.js';
import { toBerthError } from '../errors.js';
import { ownGet } from '../own.js';
import {
  DEFAULT_SCALE_UP,
  Hpa,
  SampleState,
  defaultScaleDown,
  type HpaCondition,
  type HpaSpec,
  type MetricInput,
  type ReplicaSample,
} from './hpa.js';
import type { AutoscaleSource, ServiceAutoscale } from './settings.js';
import { message } from '../model/messages.js';
import type { Message } from '../model/messages.js';
import { Nap } from '../wakeups.js';

/** The metrics Berth scales on. */
export type AutoscaleMetric = 'cpu' | 'requestsPerSecond';

/** A metric of a track as last read. */
export interface MetricStatus {
  name: AutoscaleMetric;
  /** Percent of the cpu request for `cpu`; requests per second per ready replica for `requestsPerSecond`. */
  target: number;
  current?: number;
  /** Why it could not be read (e.g. the first period of a request rate). */
  error?: string;
}

/** One scale the autoscaler made. */
export interface ScaleEvent {
  time: string;
  app: string;
  env: string;
  service: string;
  track: Track;
  from: number;
  to: number;
  reason: string;
  /** The reason as a code and params, for the console to translate. */
  reasonMessage?: Message;
}

/** The autoscaler's view of one track (what `GET …/autoscale` returns per track). */
export interface TrackAutoscaleStatus {
  app: string;
  env: string;
  service: string;
  track: Track;
  revision: number;
  minReplicas: number;
  maxReplicas: number;
  syncPeriodMs: number;
  /** Replicas the track had at the last evaluation. */
  currentReplicas: number;
  /** What the last evaluation decided (applied unless `error` says otherwise). */
  desiredReplicas: number;
  readyReplicas: number;
  metrics: MetricStatus[];
  condition?: HpaCondition;
  /** Why the count is what it is, e.g. `requestsPerSecond above target`. */
  reason: string;
  /** The reason as a code and params, for the console to translate. */
  reasonMessage?: Message;
  lastEvaluatedAt?: string;
  lastScaleTime?: string;
  /** The last failure to read or scale, cleared by the next success. */
  error?: string;
  /** The latest scales of this track, oldest first (at most 20). */
  events: ScaleEvent[];
}

/** The logger calls the autoscaler makes (pino's shape). */
export interface AutoscaleLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface AutoscalerOptions {
  source: AutoscaleSource;
  runtimeFor(env: string): Promise<Runtime>;
  now?: () => number;
  /** How often tracks are checked for being due; each is evaluated once per its `syncPeriod`. Default 1000 ms. */
  scanIntervalMs?: number;
  logger?: AutoscaleLogger;
  /** Called after each successful scale. */
  onScale?: (e: ScaleEvent) => void;
  /**
   * Subscribes to changes of the releases (Releases.onChange): with it, an autoscaler with no track to
   * scale sleeps (a scan every IDLE_SCAN_MS, for writes by another process) until one.
   */
  changes?(wake: () => void): () => void;
}

/** The autoscaling loop. */
export interface Autoscaler {
  /** Starts scanning every `scanIntervalMs` (idempotent). */
  start(): void;
  /** Stops scanning and waits for a scan in progress. */
  stop(): Promise<void>;
  /** One scan: evaluates every due track now (what the timer runs; tests call it directly). */
  tick(): Promise<void>;
  /** Every autoscaled track of an app in an environment. */
  status(app: string, env: string): TrackAutoscaleStatus[];
  /** The replica count the autoscaler set or last saw for a track; undefined when it does not scale that track. */
  replicasOf(app: string, env: string, service: string, track: Track): number | undefined;
}

const MAX_EVENTS = 20;
/** Between scans of an autoscaler with no track to scale, when release changes wake it (AutoscalerOptions.changes). */
const IDLE_SCAN_MS = 5_000;

interface TrackState {
  key: string;
  appEnv: string;
  revision: number;
  hpa: Hpa;
  lastEvalMs: number;
  /** The `requests` counter at the last evaluation, for the rate over the period since. */
  counter?: { requests: number; atMs: number };
  /** The count last set by the autoscaler or observed. */
  replicas: number;
  status: TrackAutoscaleStatus;
}

function hpaSpec(s: ServiceAutoscale): HpaSpec {
  return {
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    tolerance: s.tolerance,
    behavior: { scaleUp: DEFAULT_SCALE_UP, scaleDown: defaultScaleDown(s.scaleDownStabilizationMs) },
  };
}

/** How a replica counts for the metrics (Kubernetes' groupPods: pending/unready vs deleted/failed). */
function sampleState(r: ReplicaStatus): SampleState {
  if (r.phase === ReplicaPhase.ready) return SampleState.ready;
  if (r.phase === ReplicaPhase.terminating || r.phase === ReplicaPhase.exited) return SampleState.ignored;
  return SampleState.unready;
}

/** The tracks of an observed service: its count, revision and replicas; none while both tracks run one hash (a promotion's hand-over). */
function tracksOf(s: ServiceStatus): { track: Track; revision: number; current: number; replicas: ReplicaStatus[] }[] {
  const canary = s.tracks?.find((t) => t.track === Track.canary);
  const stable = s.tracks?.find((t) => t.track === Track.stable);
  if (!canary)
    return s.revision === undefined
      ? []
      : [{ track: Track.stable, revision: s.revision, current: s.desiredReplicas, replicas: s.replicas }];
  if (!canary.hash || canary.hash === (stable?.hash ?? s.hash)) return [];
  const out: { track: Track; revision: number; current: number; replicas: ReplicaStatus[] }[] = [];
  const stableRevision = stable?.revision ?? s.revision;
  if (stableRevision !== undefined)
    out.push({
      track: Track.stable,
      revision: stableRevision,
      current: stable?.desiredReplicas ?? s.desiredReplicas,
      replicas: s.replicas.filter((r) => r.hash !== canary.hash),
    });
  if (canary.revision !== undefined)
    out.push({
      track: Track.canary,
      revision: canary.revision,
      current: canary.desiredReplicas,
      replicas: s.replicas.filter((r) => r.hash === canary.hash),
    });
  return out;
}

/** Creates the autoscaler (not started). */
export function createAutoscaler(opts: AutoscalerOptions): Autoscaler {
  const now = opts.now ?? Date.now;
  const scanIntervalMs = opts.scanIntervalMs ?? 1000;
  const states = new Map<string, TrackState>();
  const lastErrors = new Map<string, string>();
  let running: Promise<void> | undefined;
  /** The last scan found nothing to scale. */
  let idle = false;

  const iso = (ms: number) => new Date(ms).toISOString();
  const keyOf = (app: string, env: string, service: string, track: Track) => `${app}/${env}/${service}/${track}`;

  async function tick(): Promise<void> {
    if (running) return running;
    running = scan().finally(() => (running = undefined));
    return running;
  }

  async function scan(): Promise<void> {
    const targets = await opts.source.targets();
    idle = targets.length === 0;
    const seen = new Set<string>();
    const scanned = new Set<string>();
    for (const { app, env } of targets) {
      const appEnv = `${app}/${env}`;
      try {
        await scanApp(app, env, seen);
        scanned.add(appEnv);
        lastErrors.delete(appEnv);
      } catch (err) {
        const message = toBerthError(err).message;
        if (lastErrors.get(appEnv) !== message)
          opts.logger?.warn({ app, env, err }, `autoscaling ${appEnv} failed: ${message}`);
        lastErrors.set(appEnv, message);
        // Its tracks keep their state until a scan of the app succeeds.
        for (const [k, st] of states) if (st.appEnv === appEnv) seen.add(k);
      }
    }
    for (const k of states.keys()) if (!seen.has(k)) states.delete(k);
  }

  async function scanApp(app: string, env: string, seen: Set<string>): Promise<void> {
    const runtime = await opts.runtimeFor(env);
    // Clusters run their own HPA; only a runtime that measures traffic and can scale a track is driven here.
    if (!runtime.scale || !runtime.traffic) return;
    const observed = await runtime.observe(app, env);
    for (const svc of observed.services) {
      let traffic: Promise<TrackTraffic[]> | undefined;
      const trafficOf = () => (traffic ??= runtime.traffic!(app, env, svc.service));
      for (const t of tracksOf(svc)) {
        const settings = ownGet(await opts.source.settings(app, env, t.revision), svc.service);
        if (!settings) continue;
        const key = keyOf(app, env, svc.service, t.track);
        seen.add(key);
        await evaluate(runtime, { app, env, service: svc.service, key, settings, ...t }, trafficOf);
      }
    }
  }

  async function evaluate(
    runtime: Runtime,
    t: {
      app: string;
      env: string;
      service: string;
      key: string;
      track: Track;
      revision: number;
      current: number;
      replicas: ReplicaStatus[];
      settings: ServiceAutoscale;
    },
    trafficOf: () => Promise<TrackTraffic[]>,
  ): Promise<void> {
    const at = now();
    const { settings } = t;
    let st = states.get(t.key);
    // A new canary is a new target: the previous canary's history says nothing about it.
    if (st && t.track === Track.canary && st.revision !== t.revision) st = undefined;
    const ready = t.replicas.filter((r) => r.phase === ReplicaPhase.ready).length;
    const counter = async (): Promise<{ requests: number; atMs: number } | undefined> => {
      if (settings.requestsPerSecond === undefined) return undefined;
      const found = (await trafficOf()).find((x) => x.track === t.track);
      return found ? { requests: found.requests, atMs: at } : undefined;
    };
    if (!st) {
      const first = await counter();
      st = {
        key: t.key,
        appEnv: `${t.app}/${t.env}`,
        revision: t.revision,
        hpa: new Hpa(hpaSpec(settings), { now }),
        lastEvalMs: at,
        ...(first ? { counter: first } : {}),
        replicas: t.current,
        status: {
          app: t.app,
          env: t.env,
          service: t.service,
          track: t.track,
          revision: t.revision,
          minReplicas: settings.minReplicas,
          maxReplicas: settings.maxReplicas,
          syncPeriodMs: settings.syncPeriodMs,
          currentReplicas: t.current,
          desiredReplicas: t.current,
          readyReplicas: ready,
          metrics: [],
          reason: message('autoscale.waitingFirstSync').text,
          reasonMessage: message('autoscale.waitingFirstSync'),
          events: [],
        },
      };
      states.set(t.key, st);
      return;
    }
    // Due once per sync period; half a scan of slack keeps a 1 s period from slipping to 2 s.
    if (at - st.lastEvalMs + scanIntervalMs / 2 < settings.syncPeriodMs) return;
    st.hpa.update(hpaSpec(settings));
    st.revision = t.revision;

    const metrics: MetricInput[] = [];
    if (settings.cpuPercent !== undefined)
      metrics.push(cpuMetric(settings.cpuPercent, settings.cpuRequestMillis, t.replicas));
    if (settings.requestsPerSecond !== undefined) {
      const next = await counter();
      const prev = st.counter;
      if (next) st.counter = next;
      else delete st.counter;
      metrics.push(rateMetric(settings.requestsPerSecond, t.replicas, prev, next));
    }
    st.lastEvalMs = at;
    const rec = st.hpa.recommend(t.current, metrics);
    const status = st.status;
    Object.assign(status, {
      revision: t.revision,
      minReplicas: settings.minReplicas,
      maxReplicas: settings.maxReplicas,
      syncPeriodMs: settings.syncPeriodMs,
      currentReplicas: t.current,
      desiredReplicas: rec.desiredReplicas,
      readyReplicas: ready,
      metrics: rec.metrics.map((m) => ({
        name: m.name as AutoscaleMetric,
        target: m.target,
        ...(m.current === undefined ? {} : { current: Math.round(m.current * 100) / 100 }),
        ...(m.error === undefined ? {} : { error: m.error }),
      })),
      condition: rec.condition,
      reason: rec.reason,
      reasonMessage: rec.reasonMessage,
      lastEvaluatedAt: iso(at),
    });
    delete status.error;
    st.replicas = t.current;
    if (rec.desiredReplicas === t.current) return;

    try {
      await runtime.scale!(t.app, t.env, t.service, t.track, rec.desiredReplicas);
    } catch (err) {
      status.error = `scaling to ${rec.desiredReplicas} failed: ${toBerthError(err).message}`;
      opts.logger?.warn({ app: t.app, env: t.env, service: t.service, track: t.track, err }, status.error);
      return;
    }
    st.hpa.scaled(t.current, rec.desiredReplicas);
    st.replicas = rec.desiredReplicas;
    const event: ScaleEvent = {
      time: iso(at),
      app: t.app,
      env: t.env,
      service: t.service,
      track: t.track,
      from: t.current,
      to: rec.desiredReplicas,
      reason: rec.reason,
      reasonMessage: rec.reasonMessage,
    };
    status.lastScaleTime = event.time;
    status.events = [...status.events, event].slice(-MAX_EVENTS);
    opts.logger?.info(
      { ...event, metrics: status.metrics },
      `autoscaled ${t.service} (${t.track}) of ${t.app}/${t.env} from ${event.from} to ${event.to}: ${event.reason}`,
    );
    opts.onScale?.(event);
  }

  // On the beat (wakeups.ts); with nothing to scale, asleep until the releases change.
  const pace = new Nap({
    run: async () => {
      await tick().catch((err: unknown) => {
        const message = toBerthError(err).message;
        if (lastErrors.get('') !== message) opts.logger?.warn({ err }, `autoscaling scan failed: ${message}`);
        lastErrors.set('', message);
      });
      return idle;
    },
    usualMs: scanIntervalMs,
    idleMs: IDLE_SCAN_MS,
    changes: opts.changes,
  });

  return {
    start: () => pace.start(),
    async stop() {
      await pace.stop();
      // A scan asked directly (tick) may still run.
      await running?.catch(() => undefined);
    },
    tick,
    status(app, env) {
      return [...states.values()]
        .filter((s) => s.status.app === app && s.status.env === env)
        .map((s) => structuredClone(s.status))
        .sort((a, b) => a.service.localeCompare(b.service) || a.track.localeCompare(b.track));
    },
    replicasOf(app, env, service, track) {
      return states.get(keyOf(app, env, service, track))?.replicas;
    },
  };
}

/** CPU as Kubernetes reads it: each replica's use as a percentage of its request. */
function cpuMetric(targetPercent: number, requestMillis: number | undefined, replicas: ReplicaStatus[]): MetricInput {
  const base = { name: 'cpu', kind: 'utilization' as const, target: targetPercent };
  if (!requestMillis) return { ...base, replicas: [], error: 'no cpu request to take a percentage of' };
  return {
    ...base,
    replicas: replicas.map((r): ReplicaSample => {
      const state = sampleState(r);
      // cpuPercent is percent of one core (1000m): use in millicores is cpuPercent × 10.
      return r.cpuPercent === undefined ? { state } : { state, value: (r.cpuPercent * 1000) / requestMillis };
    }),
  };
}

/**
 * Requests per second per ready replica: the track's request count over the period since the last
 * evaluation, shared evenly by the replicas that could serve it (the proxy balances round robin).
 */
function rateMetric(
  target: number,
  replicas: ReplicaStatus[],
  prev: { requests: number; atMs: number } | undefined,
  next: { requests: number; atMs: number } | undefined,
): MetricInput {
  const base = { name: 'requestsPerSecond', kind: 'average' as const, target };
  if (!next) return { ...base, replicas: [], error: 'the proxy has no request counters for this track' };
  // The counters restart with the proxy: a drop means a new baseline, not a negative rate.
  if (!prev || next.requests < prev.requests || next.atMs <= prev.atMs)
    return { ...base, replicas: [], error: 'measuring the request rate (one more sync period)' };
  const rate = ((next.requests - prev.requests) * 1000) / (next.atMs - prev.atMs);
  const ready = replicas.filter((r) => sampleState(r) === SampleState.ready).length;
  return {
    ...base,
    replicas: replicas.map((r): ReplicaSample => {
      const state = sampleState(r);
      return state === SampleState.ready ? { state, value: rate / ready } : { state };
    }),
  };
}
