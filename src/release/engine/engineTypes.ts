/** The release engine's interface, what it is made from, and what its operations take. */
import type { Logger } from 'pino';
import type { Runtime } from '../../runtime/runtime.js';
import type { Track, TrafficPolicy } from '../../model/routing.js';
import type { LoadedSpec } from '../../spec/load.js';
import type { Environments } from '../../environment/environments.js';
import type { ConfigPreview, ConfigSets } from '../../config/configSets.js';
import type { SecretBox } from '../../config/secretBox.js';
import type { Leases } from '../../store/leases.js';
import type { Plan } from '../planTypes.js';
import type { PolicyTarget } from '../revisions.js';
import type { Release, ReleaseContent, Releases } from '../releases.js';
import type { EngineUpdate } from './releaseBus.js';
import type { EngineClock } from './clock.js';
import type { CodeStore } from '../../artifacts/codeStore.js';
import type { BuildLookup } from '../builtArtifacts.js';

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
  /** The engine's time (timeouts, waits, polls, lease renewals, the times it records); the real one when absent. */
  clock?: EngineClock;
  /**
   * The replica count the autoscaler keeps a track of an autoscaled service at, when it has one: a
   * deploy, a resync and a progressive rollout keep it (like an HPA-owned Deployment's replicas)
   * instead of resetting to berth.yaml's `replicas`.
   */
  autoscaledReplicas?(app: string, env: string, service: string, track: Track): number | undefined;
  /**
   * Where a deploy snapshots the code of process services (src/artifacts/, `<BERTH_HOME>/artifacts/`):
   * a revision then runs exactly the code it was deployed with. Absent: replicas run in their folders.
   */
  codeStore?: CodeStore;
  /**
   * The newest successful build of a service (src/build/): a deploy or plan of a service with `build:`
   * runs its artifact (builtArtifacts.ts). Absent: such services are rendered as berth.yaml writes them.
   */
  builtArtifacts?: BuildLookup;
}

/**
 * How an operation treats one already running on the same app and environment: by default it is
 * refused (LockedError, HTTP 409, naming the running revision); with `wait` it is queued behind it
 * and starts once it has finished (its automatic rollback included), unless `signal` aborts first.
 */
export interface OperationOptions {
  wait?: boolean;
  signal?: AbortSignal;
}

export interface DeployRequest extends OperationOptions {
  /** The spec; `positionOf` (where a field is in the file) is absent for a stored one. */
  loaded: Pick<LoadedSpec, 'spec' | 'file' | 'digest'> & Partial<Pick<LoadedSpec, 'positionOf'>>;
  env: string;
  author: string;
  message?: string;
  rollbackPolicy?: 'auto' | 'none';
  /** Config version to deploy; the current one when omitted. */
  configVersion?: number;
  /** Fails the release when it has not finished by then (stored with it: a resumed release keeps it). */
  timeoutMs?: number;
  /** Services with `build:` run their newest successful build of this commit (else of any commit). */
  commit?: string;
}

/** A plan's request: a deploy's, optionally against config changes not written yet. */
export interface PlanRequest extends Omit<DeployRequest, 'author' | 'wait' | 'signal'> {
  /** Plans against the latest config with this change applied (nothing is written). */
  configChange?: ConfigPreview;
}

/** A promotion as the engine starts it: `source`'s content into environment `to` (checked by ../promote.ts). */
export interface PromotionStart extends OperationOptions {
  source: ReleaseContent;
  to: string;
  author: string;
  message?: string;
  /** The target's config version to render with (what a preview showed); its current one when omitted. */
  configVersion?: number;
}

export interface PlanResult {
  plan: Plan;
  current?: Release;
}

interface AppEnvAuthor {
  app: string;
  env: string;
  author: string;
}

/** Drives releases: a durable state machine in the store (see engine.ts). */
export interface ReleaseEngine {
  plan(req: PlanRequest): Promise<PlanResult>;
  /** The spec of the app's latest revision in `env`, for a plan or deploy that sends none. */
  latestSpec(app: string, env: string): Promise<DeployRequest['loaded']>;
  deploy(req: DeployRequest): Promise<Release>;
  /** Revision N+1 in `to` with `source`'s spec, image digests and code, rendered with `to`'s config (promoteRevision.ts). */
  promotion(req: PromotionStart): Promise<Release>;
  /** What a promotion would change in `to` (nothing is recorded or allocated). */
  planPromotion(req: Pick<PromotionStart, 'source' | 'to' | 'configVersion'>): Promise<PlanResult>;
  rollback(req: AppEnvAuthor & OperationOptions & { toRevision?: number; message?: string }): Promise<Release>;
  down(req: AppEnvAuthor & OperationOptions): Promise<Release>;
  /** A new revision with one service's replica count changed (the next deploy applies berth.yaml's count again). */
  scale(req: AppEnvAuthor & OperationOptions & { service: string; replicas: number }): Promise<Release>;
  /**
   * A live change of the traffic policy of a service (or of one route, by its path and host): a new
   * revision of kind `policy` that moves no replica; `null` removes the policy. Rolls back like any.
   */
  setPolicy(
    req: AppEnvAuthor & OperationOptions & { target: PolicyTarget; policy: TrafficPolicy | null },
  ): Promise<Release>;
  /** A rolling restart: a new revision whose replicas of the service (or every service) are replaced. */
  restart(req: AppEnvAuthor & OperationOptions & { service?: string }): Promise<Release>;
  /**
   * Ends the current pause of the running canary, blue-green or A/B rollout of a service; with
   * `full`, skips every remaining step. ConflictError when no such rollout runs.
   */
  promote(req: AppEnvAuthor & { service: string; full?: boolean }): Promise<Release>;
  /** Aborts the running progressive rollout of a service: traffic back to stable, the release fails. */
  abort(req: AppEnvAuthor & { service: string }): Promise<Release>;
  /**
   * Ends the running release of an app (only if it is still `revision`, when given): it fails as
   * cancelled and rolls back per its rollback policy. The request is stored first, so a control
   * plane that restarts still honours it. ConflictError when nothing runs.
   */
  cancel(req: AppEnvAuthor & { revision?: number }): Promise<Release>;
  /** Resolves with the release once it has finished (succeeded or failed), or when `signal` aborts. */
  wait(id: number, signal?: AbortSignal): Promise<Release>;
  subscribe(id: number, listener: (u: EngineUpdate) => void): () => void;
  /** Compares two revisions. */
  diff(app: string, env: string, from: number, to: number): Promise<Plan>;
  /** Resumes unfinished releases and re-attaches the runtime to what runs. */
  start(): Promise<void>;
  close(): Promise<void>;
}
