/**
 * A runtime in memory, for tests of the release engine (and anything else that drives the runtime
 * contract): it keeps what "runs" per service (hash, replicas, the canary track and the traffic
 * split), logs every call, and lets a test script the world — a service whose converge fails, one
 * that is not ready until the test says so, events a converge reports, per-track traffic.
 *
 * What runs outlives the control plane, as replicas do: `view()` gives each engine its own Runtime
 * over the same state, and a view made with a `Crash` stops answering once the crash is triggered
 * (every call from then on never returns, like a killed process), while what it did stays done.
 */
import { NotFoundError, RuntimeError } from '../../../errors.js';
import type { ConvergeOptions, Runtime } from '../../../runtime/runtime.js';
import type { AppObservation, RuntimeEvent, ServiceAddress, TrackTraffic } from '../../../model/observation.js';
import type { AppRoutes, TrafficSplit } from '../../../model/routing.js';
import type { ServiceState } from '../../../model/serviceState.js';
import type { Crash } from './crash.js';

/** What runs of one service. */
export interface Running {
  revision: number;
  hash: string;
  replicas: number;
  canary?: { hash: string; replicas: number };
  traffic?: TrafficSplit;
}

export type RuntimeCall =
  | { op: 'converge'; app: string; env: string; service: string; hash: string; canary?: string; weight?: number }
  | { op: 'applyRoutes'; app: string; env: string; routes: number }
  | { op: 'remove'; app: string; env: string; service?: string };

/** Which converges of a service fail. */
export interface FailOptions {
  /** Only those of this hash (the canary's, when it has one). */
  hash?: string;
  /** Only those with a canary track. */
  canary?: boolean;
  /** Only those of a state this says yes to. */
  when?: (state: ServiceState) => boolean;
}

/** How converging a service goes, as a test scripted it. */
interface Script {
  /** Fails converges of this hash (every hash when absent) with this error. */
  fail?: FailOptions & { error: Error };
  /** Converges wait for this before finishing (a rollout not ready yet). */
  gate?: Promise<void>;
  /** Events each converge reports. */
  events?: Omit<RuntimeEvent, 'time' | 'service'>[];
}

const key = (app: string, env: string, service: string): string => `${app}/${env}/${service}`;

export class FakeRuntime {
  readonly kind = 'local' as const;
  /** What runs, by `app/env/service`. */
  readonly running = new Map<string, Running>();
  readonly routes = new Map<string, AppRoutes>();
  readonly calls: RuntimeCall[] = [];
  /** Converges that changed what a service runs (a new hash on a track): each is a rollout the runtime did. */
  readonly rollouts: { service: string; track: 'stable' | 'canary'; hash: string }[] = [];
  private readonly scripts = new Map<string, Script>();
  private readonly ports = new Map<string, number>();
  private readonly traffics = new Map<string, () => TrackTraffic[]>();
  private readonly waiters: { test: () => boolean; resolve: () => void }[] = [];

  /** Makes converges of `service` fail with `error` (only those `opts` picks, when given). */
  fail(service: string, error: Error | string, opts: FailOptions = {}): void {
    const e = typeof error === 'string' ? new RuntimeError(error) : error;
    this.script(service).fail = { error: e, ...opts };
  }

  /** Holds converges of `service` until the returned function is called. */
  hold(service: string): () => void {
    let release!: () => void;
    this.script(service).gate = new Promise<void>((r) => (release = r));
    return () => {
      delete this.script(service).gate;
      release();
    };
  }

  /** Events every converge of `service` reports. */
  reports(service: string, events: Omit<RuntimeEvent, 'time' | 'service'>[]): void {
    this.script(service).events = events;
  }

  /**
   * Makes `service` get traffic: each look at its counters (`traffic()`) finds `requests` more on
   * each track, `canaryErrorRate` of the canary's failed. Without it the runtime measures nothing.
   */
  serve(service: string, opts: { requests: number; canaryErrorRate?: number }): void {
    const tracks: TrackTraffic[] = (['stable', 'canary'] as const).map((track) => ({
      track,
      requests: 0,
      errors: 0,
      latencyBucketsMs: [100],
      latencyCounts: [0, 0],
      latencySumMs: 0,
    }));
    this.traffics.set(service, () => {
      for (const t of tracks) {
        t.requests += opts.requests;
        t.errors += t.track === 'canary' ? Math.round(opts.requests * (opts.canaryErrorRate ?? 0)) : 0;
        t.latencyCounts[0]! += opts.requests;
        t.latencySumMs += opts.requests * 5;
      }
      return tracks.map((t) => ({ ...t, latencyCounts: [...t.latencyCounts] }));
    });
  }

  /** Forgets what a test scripted for `service`. */
  heal(service: string): void {
    this.scripts.delete(service);
  }

  /** What runs of `service` of app `app` in `env`. */
  of(app: string, env: string, service: string): Running | undefined {
    return this.running.get(key(app, env, service));
  }

  /** Resolves once `test` holds (checked after every call). */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** Resolves once a converge of `service` has been asked for (`count` of them in all). */
  converging(service: string, count = 1): Promise<void> {
    return this.until(() => this.calls.filter((c) => c.op === 'converge' && c.service === service).length >= count);
  }

  /** A Runtime over this state; with `crash`, one whose calls stop returning once it is triggered. */
  view(crash?: Crash): Runtime {
    // Calls that change what runs count as steps a crash can stop after; reads only stop answering.
    const guard = <T>(f: () => Promise<T>, what?: string): Promise<T> =>
      crash ? (what ? crash.guard(f, what) : crash.pass(f)) : f();
    const traffic = (app: string, env: string, service: string): Promise<TrackTraffic[]> =>
      guard(async () => {
        void app;
        void env;
        return this.traffics.get(service)?.() ?? [];
      });
    return {
      kind: this.kind,
      converge: (state, opts) => guard(() => this.converge(state, opts), `converge ${state.service}`),
      applyRoutes: (routes) => guard(() => this.applyRoutes(routes), 'applyRoutes'),
      addresses: (app, env, services) => guard(async () => this.addresses(app, env, services)),
      observe: (app, env) => guard(async () => this.observe(app, env)),
      traffic,
      scale: (app, env, service, track, replicas) =>
        guard(async () => {
          const r = this.of(app, env, service);
          if (!r || (track === 'canary' && !r.canary)) throw new NotFoundError(`${service} has no ${track} track`);
          if (track === 'canary') r.canary!.replicas = replicas;
          else r.replicas = replicas;
        }),
      logs: async function* () {},
      remove: (app, env, service) => guard(async () => this.remove(app, env, service), `remove ${service ?? app}`),
      close: async () => undefined,
    };
  }

  private script(service: string): Script {
    let s = this.scripts.get(service);
    if (!s) this.scripts.set(service, (s = {}));
    return s;
  }

  private record(call: RuntimeCall): void {
    this.calls.push(call);
    for (const w of [...this.waiters])
      if (w.test()) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
  }

  private async converge(state: ServiceState, opts: ConvergeOptions): Promise<void> {
    const { app, env, service } = state;
    this.record({
      op: 'converge',
      app,
      env,
      service,
      hash: state.hash,
      ...(state.canary ? { canary: state.canary.hash, weight: state.traffic?.canaryWeight ?? 0 } : {}),
    });
    const script = this.scripts.get(service);
    for (const e of script?.events ?? []) opts.onEvent({ ...e, service, time: new Date().toISOString() });
    if (script?.gate) await abortable(script.gate, opts.signal);
    if (opts.signal.aborted) throw opts.signal.reason ?? new Error('aborted');
    const fail = script?.fail;
    const failing =
      fail &&
      (fail.canary ? state.canary !== undefined : true) &&
      (!fail.hash || fail.hash === (state.canary?.hash ?? state.hash)) &&
      (!fail.when || fail.when(state));
    if (failing) throw fail.error;
    const before = this.running.get(key(app, env, service));
    if (before?.hash !== state.hash) this.rollouts.push({ service, track: 'stable', hash: state.hash });
    if (state.canary && before?.canary?.hash !== state.canary.hash)
      this.rollouts.push({ service, track: 'canary', hash: state.canary.hash });
    this.running.set(key(app, env, service), {
      revision: state.revision,
      hash: state.hash,
      replicas: state.replicas,
      ...(state.canary ? { canary: { hash: state.canary.hash, replicas: state.canary.replicas } } : {}),
      ...(state.traffic ? { traffic: state.traffic } : {}),
    });
  }

  private async applyRoutes(routes: AppRoutes): Promise<void> {
    this.record({ op: 'applyRoutes', app: routes.app, env: routes.env, routes: routes.routes.length });
    this.routes.set(`${routes.app}/${routes.env}`, routes);
  }

  private addresses(app: string, env: string, services: { name: string }[]): Record<string, ServiceAddress> {
    const out: Record<string, ServiceAddress> = {};
    for (const s of services) {
      const k = key(app, env, s.name);
      if (!this.ports.has(k)) this.ports.set(k, 42000 + this.ports.size);
      const port = this.ports.get(k)!;
      out[s.name] = { host: '127.0.0.1', port, url: `http://127.0.0.1:${port}` };
    }
    return out;
  }

  private observe(app: string, env: string): AppObservation {
    const prefix = `${app}/${env}/`;
    return {
      services: [...this.running.entries()]
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, r]) => ({
          app,
          env,
          service: k.slice(prefix.length),
          revision: r.revision,
          hash: r.hash,
          desiredReplicas: r.replicas,
          readyReplicas: r.replicas,
          replicas: [],
          ...(r.canary
            ? {
                tracks: [
                  {
                    track: 'stable' as const,
                    hash: r.hash,
                    desiredReplicas: r.replicas,
                    readyReplicas: r.replicas,
                    weight: 100 - (r.traffic?.canaryWeight ?? 0),
                  },
                  {
                    track: 'canary' as const,
                    hash: r.canary.hash,
                    desiredReplicas: r.canary.replicas,
                    readyReplicas: r.canary.replicas,
                    weight: r.traffic?.canaryWeight ?? 0,
                  },
                ],
              }
            : {}),
        })),
    };
  }

  private remove(app: string, env: string, service?: string): void {
    this.record({ op: 'remove', app, env, ...(service ? { service } : {}) });
    const prefix = service ? key(app, env, service) : `${app}/${env}/`;
    for (const k of [...this.running.keys()]) if (service ? k === prefix : k.startsWith(prefix)) this.running.delete(k);
    if (!service) this.routes.delete(`${app}/${env}`);
  }
}

function abortable(p: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void p.then(done);
  });
}
