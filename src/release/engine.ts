/**
 * The release engine: a durable state machine in the store. A release goes pending → running →
 * succeeded | failed; every step is committed before it is acted on and every action is idempotent,
 * so a control plane killed at any point resumes the release on start-up (`start`). A per-(app, env)
 * lease is the operation lock; it expires, and a dead holder's lease is taken over at once.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Runtime, RuntimeEvent, ServiceState, Track, TrafficPolicy } from '../runtime/runtime.js';
import type { LoadedSpec } from '../spec/load.js';
import type { AppSpec } from '../spec/schema.js';
import { BerthError, ConflictError, LockedError, NotFoundError, toBerthError } from '../errors.js';
import type { Environments } from '../environment/environments.js';
import type { ConfigDiffEntry, ConfigPreview, ConfigSets, ResolvedConfig } from '../config/configSets.js';
import type { SecretBox } from '../config/secretBox.js';
import type { Leases } from '../store/leases.js';
import { renderRelease, type RenderResult, type RenderedService } from './render.js';
import { runProgressive } from './progressive.js';
import { planRelease, type Plan } from './plan.js';
import {
  downRevision,
  policyRevision,
  restartRevision,
  rollbackRevision,
  scaleRevision,
  type NewRevision,
  type PolicyTarget,
} from './revisions.js';
import {
  ReleaseKind,
  ReleaseStatus,
  StepStatus,
  type Release,
  type ReleaseContent,
  type ReleaseEvent,
  type Releases,
  type StepCommand,
} from './releases.js';
import { message, messageOf } from '../model/messages.js';
import type { Message } from '../model/messages.js';

export interface EngineDeps {
  releases: Releases;
  environments: Environments;
  configSets: ConfigSets;
  secretBox: SecretBox;
  leases: Leases;
  /** The runtime of an environment (local, or a Kubernetes cluster). */
  runtimeFor(env: string): Promise<Runtime>;
  /** Whether a lease holder id belongs to a live control plane (a dead one's lease is taken over). */
  isHolderAlive(holder: string): boolean;
  logger: Logger;
  leaseTtlMs?: number;
  /**
   * The replica count the autoscaler keeps a track of an autoscaled service at, when it has one: a
   * deploy, a resync and a progressive rollout keep it (like an HPA-owned Deployment's replicas)
   * instead of resetting to berth.yaml's `replicas`.
   */
  autoscaledReplicas?(app: string, env: string, service: string, track: Track): number | undefined;
}

export interface DeployRequest {
  /** The spec; `positionOf` (where a field is in the file) is absent for a stored one. */
  loaded: Pick<LoadedSpec, 'spec' | 'file' | 'digest'> & Partial<Pick<LoadedSpec, 'positionOf'>>;
  env: string;
  author: string;
  message?: string;
  rollbackPolicy?: 'auto' | 'none';
  /** Config version to deploy; the current one when omitted. */
  configVersion?: number;
  /** Fails the release when it has not finished by then. */
  timeoutMs?: number;
}

/** What subscribers of a release see: its events as they are recorded, and its status changes. */
export type EngineUpdate = { type: 'event'; event: ReleaseEvent } | { type: 'release'; release: Release };

/** A plan's request: a deploy's, optionally against config changes not written yet. */
export interface PlanRequest extends Omit<DeployRequest, 'author'> {
  /** Plans against the latest config with this change applied (nothing is written). */
  configChange?: ConfigPreview;
}

export interface PlanResult {
  plan: Plan;
  current?: Release;
}

/** Drives releases; see the file comment. */
export interface ReleaseEngine {
  plan(req: PlanRequest): Promise<PlanResult>;
  /** The spec of the app's latest revision in `env`, for a plan or deploy that sends none. */
  latestSpec(app: string, env: string): Promise<DeployRequest['loaded']>;
  deploy(req: DeployRequest): Promise<Release>;
  rollback(req: { app: string; env: string; toRevision?: number; author: string; message?: string }): Promise<Release>;
  down(req: { app: string; env: string; author: string }): Promise<Release>;
  /** A new revision with one service's replica count changed (the next deploy applies berth.yaml's count again). */
  scale(req: { app: string; env: string; service: string; replicas: number; author: string }): Promise<Release>;
  /**
   * A live change of the traffic policy of a service (or of one route, by its path and host): a new
   * revision of kind `policy` that moves no replica; `null` removes the policy. Rolls back like any.
   */
  setPolicy(req: {
    app: string;
    env: string;
    target: PolicyTarget;
    policy: TrafficPolicy | null;
    author: string;
  }): Promise<Release>;
  /** A rolling restart: a new revision whose replicas of the service (or every service) are replaced. */
  restart(req: { app: string; env: string; service?: string; author: string }): Promise<Release>;
  /**
   * Ends the current pause of the running canary, blue-green or A/B rollout of a service; with
   * `full`, skips every remaining step. ConflictError when no such rollout runs.
   */
  promote(req: { app: string; env: string; service: string; full?: boolean; author: string }): Promise<Release>;
  /** Aborts the running progressive rollout of a service: traffic back to stable, the release fails. */
  abort(req: { app: string; env: string; service: string; author: string }): Promise<Release>;
  /** Resolves with the release once it has finished (succeeded or failed), or when `signal` aborts. */
  wait(id: number, signal?: AbortSignal): Promise<Release>;
  subscribe(id: number, listener: (u: EngineUpdate) => void): () => void;
  /** Compares two revisions. */
  diff(app: string, env: string, from: number, to: number): Promise<Plan>;
  /** Resumes unfinished releases and re-attaches the runtime to what runs. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const key = (app: string, env: string): string => `${app}/${env}`;
/** How a config difference is named among a field's sources: a value by its key, a file as `file:NAME`. */
const configKeyOf = (d: ConfigDiffEntry): string => (d.kind === 'file' ? `file:${d.key}` : d.key);
const isFinished = (r: Release): boolean => r.status === ReleaseStatus.succeeded || r.status === ReleaseStatus.failed;

export function createReleaseEngine(deps: EngineDeps): ReleaseEngine {
  const { releases, logger } = deps;
  const leaseTtlMs = deps.leaseTtlMs ?? 15_000;
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const running = new Map<string, Promise<void>>();
  const resyncs = new Map<string, AbortController>();
  const closing = new AbortController();

  async function render(
    spec: AppSpec,
    file: string,
    env: string,
    configVersion: number | undefined,
    revision: number,
    positionOf?: DeployRequest['loaded']['positionOf'],
    restarts?: Record<string, string>,
    trial?: ResolvedConfig,
  ): Promise<RenderResult> {
    const environment = await deps.environments.get(env);
    const version = configVersion ?? (await deps.configSets.current(spec.name, env)).version;
    const config = trial ?? (await deps.configSets.resolve(spec.name, env, version));
    const runtime = await deps.runtimeFor(env);
    const addresses = await runtime.addresses(
      spec.name,
      env,
      Object.entries(spec.services).map(([name, s]) => ({ name, ...(s.ports[0] ? { port: s.ports[0].port } : {}) })),
    );
    return renderRelease({
      spec,
      file,
      ...(positionOf ? { positionOf } : {}),
      environment: { name: env, defaults: environment.defaults },
      config,
      addresses,
      revision,
      digestSecret: (s) => deps.secretBox.digest(s),
      ...(restarts ? { restarts } : {}),
      // On a cluster the discovery variables live in one `<app>-discovery` ConfigMap (as `berth
      // render` shows them), not in every service's own environment.
      discoveryApart: runtime.kind === 'kubernetes',
    });
  }

  /**
   * Keeps autoscaled services at the count they run at: the autoscaler's, else what the runtime
   * runs now (after a control-plane restart the autoscaler knows nothing yet), within the spec's
   * min and max. Services without `autoscale` keep berth.yaml's `replicas`.
   */
  async function keepAutoscaled(
    spec: AppSpec,
    env: string,
    states: Record<string, ServiceState>,
    runtime: Runtime,
  ): Promise<Record<string, ServiceState>> {
    const scaled = Object.keys(states).filter((n) => spec.services[n]?.autoscale);
    if (scaled.length === 0) return states;
    const observed = await runtime.observe(spec.name, env).catch(() => undefined);
    const out = { ...states };
    for (const n of scaled) {
      const a = spec.services[n]!.autoscale!;
      const live =
        deps.autoscaledReplicas?.(spec.name, env, n, 'stable') ??
        observed?.services.find((s) => s.service === n)?.desiredReplicas;
      if (live !== undefined && live > 0) out[n] = { ...states[n]!, replicas: Math.min(a.max, Math.max(a.min, live)) };
    }
    return out;
  }

  async function planAgainst(
    current: Release | undefined,
    spec: AppSpec,
    specDigest: string,
    result: RenderResult,
    trialChanges: ConfigDiffEntry[] = [],
  ): Promise<Plan> {
    let changedConfigKeys = trialChanges.map(configKeyOf);
    let specChanged = true;
    let from;
    if (current) {
      const content = await releases.content(current.id);
      from = current.kind === ReleaseKind.down ? undefined : content.rendered;
      specChanged = current.specDigest !== specDigest;
      // A trial version does not exist yet: the stored part of the difference ends at the latest.
      const to = trialChanges.length > 0 ? result.rendered.configVersion - 1 : result.rendered.configVersion;
      const diff = await deps.configSets.diff(spec.name, result.rendered.env, current.configVersion, to);
      changedConfigKeys = [...new Set([...diff.map(configKeyOf), ...changedConfigKeys])];
    }
    return planRelease(from, result.rendered, { changedConfigKeys, specChanged });
  }

  async function acquire(app: string, env: string): Promise<void> {
    if (await deps.leases.acquire(app, env, leaseTtlMs)) return;
    const holder = await deps.leases.holderOf(app, env);
    if (holder && !deps.isHolderAlive(holder.holder)) {
      await deps.leases.release(app, env, holder.holder);
      if (await deps.leases.acquire(app, env, leaseTtlMs)) return;
    }
    const inFlight = (await releases.unfinished()).find((r) => r.app === app && r.env === env);
    throw new LockedError(
      `another operation on ${app}/${env} is in progress${inFlight ? ` (revision ${inFlight.revision}, ${inFlight.status})` : ''}; wait for it to finish`,
      { details: { app, env, ...(inFlight ? { revision: inFlight.revision } : {}) } },
    );
  }

  const publish = (id: number, u: EngineUpdate): void => {
    bus.emit(String(id), u);
  };

  async function record(
    id: number,
    e: Omit<ReleaseEvent, 'id' | 'releaseId' | 'time'> & { time?: string },
  ): Promise<void> {
    const event = await releases.addEvent({
      releaseId: id,
      time: e.time ?? new Date().toISOString(),
      service: e.service,
      type: e.type,
      reason: e.reason,
      message: e.message,
    });
    publish(id, { type: 'event', event });
  }

  async function setStatus(id: number, status: ReleaseStatus, reason?: string | Message): Promise<Release> {
    await releases.setStatus(id, status, reason);
    const r = await releases.get(id);
    publish(id, { type: 'release', release: r });
    return r;
  }

  /** Runs a release to its end. The caller holds the lease; it is released here. */
  function launch(release: Release, timeoutMs?: number): void {
    const k = key(release.app, release.env);
    resyncs.get(k)?.abort();
    const p = (async () => {
      const renew = setInterval(
        () => {
          deps.leases
            .renew(release.app, release.env, leaseTtlMs)
            .catch((err: unknown) => logger.warn({ err }, 'lease renewal failed'));
        },
        Math.max(1000, leaseTtlMs / 3),
      );
      try {
        let next: Release | undefined = release;
        while (next) next = await execute(next, timeoutMs);
      } catch (err) {
        logger.error({ err, release: release.id }, 'release engine failure');
      } finally {
        clearInterval(renew);
        await deps.leases.release(release.app, release.env).catch(() => undefined);
        running.delete(k);
      }
    })();
    running.set(k, p);
  }

  /** Executes one release; returns the auto-rollback release to run next, if one was created. */
  async function execute(release: Release, timeoutMs?: number): Promise<Release | undefined> {
    const id = release.id;
    const signal =
      timeoutMs === undefined ? closing.signal : AbortSignal.any([closing.signal, AbortSignal.timeout(timeoutMs)]);
    if (release.status === ReleaseStatus.pending) await setStatus(id, ReleaseStatus.running);
    await record(id, {
      service: null,
      type: 'Normal',
      reason: release.status === ReleaseStatus.running ? 'Resumed' : 'Started',
      message: `${release.kind} of ${release.app} revision ${release.revision} to ${release.env}`,
    });
    const runtime = await deps.runtimeFor(release.env);
    try {
      if (release.kind === ReleaseKind.down) {
        await runtime.remove(release.app, release.env);
      } else {
        const content = await releases.content(id);
        const rendered0 = await render(
          content.spec,
          release.specFile,
          release.env,
          release.configVersion,
          release.revision,
          undefined,
          content.rendered.restarts,
        );
        const { rendered } = rendered0;
        const states = await keepAutoscaled(content.spec, release.env, rendered0.states, runtime);
        const stable = await keepAutoscaled(content.spec, release.env, await stableStates(release), runtime);
        for (const [level, names] of rendered.levels.entries()) {
          await record(id, {
            service: null,
            type: 'Normal',
            reason: 'Level',
            message: `level ${level}: ${names.join(', ')}`,
          });
          await runLevel(
            id,
            runtime,
            names.map((n) => ({
              state: states[n]!,
              ...(stable[n] && stable[n].hash !== states[n]!.hash && rendered.services[n]!.strategy
                ? { stable: stable[n], strategy: rendered.services[n]!.strategy }
                : {}),
            })),
            release.steps,
            signal,
          );
        }
        await runtime.applyRoutes(
          { app: release.app, env: release.env, routes: rendered.routes },
          { signal, onEvent: (e) => void onRuntimeEvent(id, e) },
        );
        const observed = await runtime.observe(release.app, release.env);
        for (const s of observed.services) {
          if (!(s.service in rendered.services)) {
            await record(id, {
              service: s.service,
              type: 'Normal',
              reason: 'Pruned',
              message: `${s.service} is no longer in the app; removing it`,
            });
            await runtime.remove(release.app, release.env, s.service);
          }
        }
      }
      await setStatus(id, ReleaseStatus.succeeded);
      await record(id, {
        service: null,
        type: 'Normal',
        reason: 'Succeeded',
        message: `revision ${release.revision} is live`,
      });
      return undefined;
    } catch (err) {
      if (closing.signal.aborted) throw err; // shutting down: the release stays running and is resumed on start
      const e = toBerthError(err);
      const why =
        signal.aborted && !closing.signal.aborted
          ? message('release.deadlineExceeded', { seconds: Math.round((timeoutMs ?? 0) / 1000), error: e.message })
          : (messageOf(e) ?? message('release.failed', { error: e.message }));
      const reason = why.text;
      await setStatus(id, ReleaseStatus.failed, why);
      await record(id, { service: null, type: 'Warning', reason: 'Failed', message: reason });
      return autoRollback(release, reason);
    }
  }

  /**
   * What runs now for each service, as the last good revision before `release` rendered it: the
   * stable track a progressive rollout starts from. Empty for anything but a deploy (rollbacks,
   * restarts and scales are rolling).
   */
  async function stableStates(release: Release): Promise<Record<string, ServiceState>> {
    if (release.kind !== ReleaseKind.deploy) return {};
    const good = await releases.lastGood(release.app, release.env, release.revision);
    if (!good || good.kind === ReleaseKind.down) return {};
    const content = await releases.content(good.id);
    const { states } = await render(
      content.spec,
      good.specFile,
      good.env,
      good.configVersion,
      good.revision,
      undefined,
      content.rendered.restarts,
    );
    return states;
  }

  async function runLevel(
    id: number,
    runtime: Runtime,
    services: { state: ServiceState; stable?: ServiceState; strategy?: RenderedService['strategy'] }[],
    steps: Release['steps'],
    signal: AbortSignal,
  ): Promise<void> {
    const levelAbort = new AbortController();
    const both = AbortSignal.any([signal, levelAbort.signal]);
    const failures: string[] = [];
    const codedFailures: Message[] = [];
    await Promise.all(
      services.map(async ({ state, stable, strategy }) => {
        const step = steps.find((s) => s.service === state.service);
        await releases.setStep(
          id,
          state.service,
          StepStatus.running,
          step?.status === StepStatus.succeeded ? 'resumed after restart' : undefined,
        );
        try {
          const onEvent = (e: RuntimeEvent): void => void onRuntimeEvent(id, e);
          if (stable && strategy) {
            await runProgressive(
              {
                runtime,
                releases,
                releaseId: id,
                record: (e) => record(id, e),
                onEvent,
                signal: both,
                ...(deps.autoscaledReplicas
                  ? {
                      autoscaled: (track: Track) =>
                        deps.autoscaledReplicas!(state.app, state.env, state.service, track),
                    }
                  : {}),
              },
              stable,
              state,
              strategy,
              step?.progress,
            );
          } else await runtime.converge(state, { signal: both, onEvent });
          await releases.setStep(
            id,
            state.service,
            StepStatus.succeeded,
            `${state.replicas} replica${state.replicas === 1 ? '' : 's'} ready`,
          );
        } catch (err) {
          const message = toBerthError(err).message;
          failures.push(message);
          const coded = messageOf(err);
          if (coded) codedFailures.push(coded);
          await releases.setStep(id, state.service, StepStatus.failed, message);
          levelAbort.abort(); // a level fails as a whole; the next level never starts
        }
      }),
    );
    if (failures.length > 0)
      // one failure that says why with a code keeps it (a rollout aborted by someone, a failed analysis)
      throw Object.assign(
        new BerthError('RUNTIME', failures.join('; ')),
        failures.length === 1 && codedFailures.length === 1 ? { reasonMessage: codedFailures[0] } : {},
      );
  }

  async function onRuntimeEvent(id: number, e: RuntimeEvent): Promise<void> {
    try {
      await record(id, {
        time: e.time,
        service: e.service,
        type: e.type,
        reason: e.reason,
        message: e.replica && !e.message.includes(e.replica) ? `${e.replica}: ${e.message}` : e.message,
      });
    } catch (err) {
      logger.warn({ err }, 'could not record a runtime event');
    }
  }

  async function autoRollback(failed: Release, reason: string): Promise<Release | undefined> {
    if (
      failed.rollbackPolicy !== 'auto' ||
      failed.kind === ReleaseKind.autoRollback ||
      failed.kind === ReleaseKind.down
    )
      return undefined;
    const good = await releases.lastGood(failed.app, failed.env, failed.revision);
    if (!good) {
      await record(failed.id, {
        service: null,
        type: 'Warning',
        reason: 'NoRollback',
        message: 'no earlier good revision to roll back to',
      });
      return undefined;
    }
    const content = await releases.content(good.id);
    const rb = await releases.create({
      app: failed.app,
      env: failed.env,
      kind: ReleaseKind.autoRollback,
      spec: content.spec,
      specDigest: good.specDigest,
      specFile: good.specFile,
      configVersion: good.configVersion,
      rendered: content.rendered,
      sourceRevision: good.revision,
      rollbackPolicy: 'none',
      author: 'berth',
      message: `automatic rollback after revision ${failed.revision} failed: ${reason}`,
    });
    await record(failed.id, {
      service: null,
      type: 'Warning',
      reason: 'RollingBack',
      message: `rolling back to revision ${good.revision} as revision ${rb.revision}`,
    });
    return rb;
  }

  /** Leaves a promote/abort for the running progressive rollout of a service. */
  async function command(
    req: { app: string; env: string; service: string; author: string },
    kind: StepCommand['kind'],
  ): Promise<Release> {
    const release = (await releases.unfinished()).find((r) => r.app === req.app && r.env === req.env);
    const what = kind === 'abort' ? 'abort' : 'promote';
    if (!release) throw new ConflictError(`nothing to ${what}: no release of ${req.app} is running in ${req.env}`);
    const step = release.steps.find((s) => s.service === req.service);
    if (!step) throw new NotFoundError(`revision ${release.revision} of ${req.app} has no service ${req.service}`);
    const taken = await releases.setCommand(release.id, req.service, {
      kind,
      by: req.author,
      at: new Date().toISOString(),
    });
    if (!taken)
      throw new ConflictError(
        `nothing to ${what}: ${req.service} has no canary, blue-green or A/B rollout running in revision ${release.revision} (its step is ${step.status})`,
      );
    await record(release.id, {
      service: req.service,
      type: 'Normal',
      reason: kind === 'abort' ? 'AbortRequested' : 'PromoteRequested',
      message: `${kind === 'promoteFull' ? 'full promotion' : what} requested by ${req.author}`,
    });
    return releases.get(release.id);
  }

  /** Takes the lease, renders and records revision N+1, and starts it. */
  async function createRevision(r: NewRevision): Promise<Release> {
    await acquire(r.app, r.env);
    try {
      const last = (await releases.list(r.app, r.env, 1))[0];
      const revision = (last?.revision ?? 0) + 1;
      const rendered =
        r.kind === ReleaseKind.down
          ? emptyRendered(r.app, r.env, r.configVersion ?? 0)
          : (await render(r.spec, r.file, r.env, r.configVersion, revision, r.positionOf, r.restarts)).rendered;
      const rel = await releases.create({
        app: r.app,
        env: r.env,
        kind: r.kind,
        spec: r.spec,
        specDigest: r.specDigest,
        specFile: r.file,
        configVersion: rendered.configVersion,
        rendered,
        rollbackPolicy: r.rollbackPolicy,
        author: r.author,
        ...(r.message === undefined ? {} : { message: r.message }),
        ...(r.sourceRevision === undefined ? {} : { sourceRevision: r.sourceRevision }),
      });
      launch(rel, r.timeoutMs);
      return rel;
    } catch (err) {
      await deps.leases.release(r.app, r.env).catch(() => undefined);
      throw err;
    }
  }

  /** The running revision of an app, with its content; NotFound when nothing runs. */
  async function currentContent(app: string, env: string, what: string): Promise<ReleaseContent> {
    const current = await releases.current(app, env);
    if (!current || current.kind === ReleaseKind.down)
      throw new NotFoundError(`${app} is not running in ${env}; nothing to ${what}`);
    return releases.content(current.id);
  }

  return {
    async plan(req) {
      const { spec, file, digest, positionOf } = req.loaded;
      const current = await releases.current(spec.name, req.env);
      const restarts = current ? (await releases.content(current.id)).rendered.restarts : undefined;
      const trial = req.configChange ? await deps.configSets.preview(spec.name, req.env, req.configChange) : undefined;
      const result = await render(
        spec,
        file,
        req.env,
        req.configVersion,
        (current?.revision ?? 0) + 1,
        positionOf,
        restarts,
        trial?.resolved,
      );
      const plan = await planAgainst(current, spec, digest, result, trial?.diff);
      return current ? { plan, current } : { plan };
    },

    async latestSpec(app, env) {
      const [last] = await releases.list(app, env, 1);
      if (!last) throw new NotFoundError(`${app} has never been deployed to ${env}: send its berth.yaml`);
      const content = await releases.content(last.id);
      return { spec: content.spec, file: last.specFile, digest: last.specDigest };
    },

    async deploy(req) {
      const { spec, file, digest, positionOf } = req.loaded;
      await deps.environments.get(req.env);
      const current = await releases.current(spec.name, req.env);
      // A restart stays part of the running state: a later deploy must not restart again.
      const restarts = current ? (await releases.content(current.id)).rendered.restarts : undefined;
      return createRevision({
        app: spec.name,
        env: req.env,
        kind: ReleaseKind.deploy,
        spec,
        specDigest: digest,
        file,
        configVersion: req.configVersion,
        ...(restarts ? { restarts } : {}),
        author: req.author,
        ...(req.message === undefined ? {} : { message: req.message }),
        rollbackPolicy: req.rollbackPolicy ?? 'auto',
        positionOf,
        ...(req.timeoutMs === undefined ? {} : { timeoutMs: req.timeoutMs }),
      });
    },

    async rollback(req) {
      const current = await releases.current(req.app, req.env);
      if (!current) throw new NotFoundError(`${req.app}/${req.env} has no release to roll back from`);
      const target =
        req.toRevision !== undefined
          ? await releases.byRevision(req.app, req.env, req.toRevision)
          : await releases.lastGood(req.app, req.env, current.revision);
      if (!target) throw new NotFoundError(`${req.app}/${req.env} has no earlier good revision to roll back to`);
      return createRevision(rollbackRevision(await releases.content(target.id), req));
    },

    async scale(req) {
      return createRevision(scaleRevision(await currentContent(req.app, req.env, 'scale'), req));
    },

    async setPolicy(req) {
      return createRevision(policyRevision(await currentContent(req.app, req.env, 'change a traffic policy in'), req));
    },

    async restart(req) {
      const content = await currentContent(req.app, req.env, 'restart');
      return createRevision(restartRevision(content, req, new Date().toISOString()));
    },

    async down(req) {
      const current = await releases.current(req.app, req.env);
      const last = current ?? (await releases.list(req.app, req.env, 1))[0];
      if (!last) throw new NotFoundError(`${req.app} has never been deployed to ${req.env}`);
      return createRevision(downRevision(await releases.content(last.id), req));
    },

    async promote(req) {
      return command(req, req.full ? 'promoteFull' : 'promote');
    },

    async abort(req) {
      return command(req, 'abort');
    },

    async wait(id, signal) {
      for (;;) {
        const r = await releases.get(id);
        if (isFinished(r)) {
          // An auto-rollback runs right after; callers waiting on the failed one wait for it too.
          const k = key(r.app, r.env);
          const p = running.get(k);
          if (p && r.status === ReleaseStatus.failed && r.rollbackPolicy === 'auto') await p;
          return releases.get(id);
        }
        await new Promise<void>((resolve) => {
          const off = this.subscribe(id, (u) => {
            if (u.type === 'release' && isFinished(u.release)) done();
          });
          const t = setTimeout(done, 1000);
          const onAbort = (): void => done();
          signal?.addEventListener('abort', onAbort, { once: true });
          function done(): void {
            off();
            clearTimeout(t);
            signal?.removeEventListener('abort', onAbort);
            resolve();
          }
        });
        if (signal?.aborted) return releases.get(id);
      }
    },

    subscribe(id, listener) {
      bus.on(String(id), listener);
      return () => bus.off(String(id), listener);
    },

    async diff(app, env, from, to) {
      const a = await releases.content((await releases.byRevision(app, env, from)).id);
      const b = await releases.content((await releases.byRevision(app, env, to)).id);
      const cfg = await deps.configSets.diff(app, env, a.release.configVersion, b.release.configVersion);
      return planRelease(a.release.kind === ReleaseKind.down ? undefined : a.rendered, b.rendered, {
        changedConfigKeys: cfg.map((d) => d.key),
        specChanged: a.release.specDigest !== b.release.specDigest,
      });
    },

    async start() {
      const unfinished = await releases.unfinished();
      const resuming = new Set<string>();
      for (const r of unfinished) {
        const k = key(r.app, r.env);
        if (resuming.has(k)) {
          // Only the newest unfinished release of an (app, env) can be the live one; older ones were abandoned.
          await setStatus(r.id, ReleaseStatus.failed, message('release.supersededWhileDown'));
          continue;
        }
        try {
          await acquire(r.app, r.env);
        } catch (err) {
          logger.warn({ err, release: r.id }, 'cannot resume release');
          continue;
        }
        resuming.add(k);
        logger.info({ app: r.app, env: r.env, revision: r.revision }, 'resuming release');
        launch(r);
      }
      for (const cur of await releases.active()) {
        const k = key(cur.app, cur.env);
        if (resuming.has(k)) continue;
        const ac = new AbortController();
        resyncs.set(k, ac);
        void (async () => {
          try {
            const content = await releases.content(cur.id);
            const { states } = await render(
              content.spec,
              cur.specFile,
              cur.env,
              cur.configVersion,
              cur.revision,
              undefined,
              content.rendered.restarts,
            );
            const runtime = await deps.runtimeFor(cur.env);
            const signal = AbortSignal.any([ac.signal, closing.signal]);
            await runtime.applyRoutes(
              { app: cur.app, env: cur.env, routes: content.rendered.routes },
              { signal, onEvent: () => undefined },
            );
            const kept = await keepAutoscaled(content.spec, cur.env, states, runtime);
            await Promise.all(
              Object.values(kept).map((s) => runtime.converge(s, { signal, onEvent: () => undefined })),
            );
          } catch (err) {
            if (!ac.signal.aborted && !closing.signal.aborted)
              logger.warn({ err, app: cur.app, env: cur.env }, 'resync after start-up failed');
          } finally {
            if (resyncs.get(k) === ac) resyncs.delete(k);
          }
        })();
      }
    },

    async close() {
      closing.abort();
      for (const ac of resyncs.values()) ac.abort();
      await Promise.allSettled([...running.values()]);
    },
  };
}

function emptyRendered(app: string, env: string, configVersion: number) {
  return { app, env, configVersion, levels: [], services: {}, routes: [] };
}
