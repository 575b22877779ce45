/**
 * The desired state of one service in one environment (what a runtime's `converge` makes real), with
 * its rollout, restart and canary parts. Part of the shared model (dependency-free).
 */
import type { TrafficPolicy, TrafficSplit } from './routing.js';
import type { RegistryAuth, RunKind, Workload } from './workload.js';

/** Rolling-update parameters (Kubernetes semantics: a count, or a percentage string like `25%`). */
export interface RolloutPolicy {
  maxSurge: number | string;
  maxUnavailable: number | string;
  /** A rollout that makes no progress for this long fails. */
  progressDeadlineMs: number;
}

/** Restart backoff for crashed replicas (Kubernetes: 10 s doubling to 300 s, reset after 10 min). */
export interface RestartPolicy {
  initialBackoffMs: number;
  maxBackoffMs: number;
  resetAfterMs: number;
}

/** The second version of a service, running beside the stable one during a canary, blue-green or A/B release. */
export interface CanaryTrack {
  revision: number;
  configVersion: number;
  hash: string;
  replicas: number;
  workload: Workload;
}

/** The desired state of one service in one environment: what `converge` makes real. */
export interface ServiceState {
  app: string;
  env: string;
  service: string;
  /** Release revision this state belongs to. */
  revision: number;
  configVersion: number;
  /** Content hash of the workload template: replicas with another hash are replaced. */
  hash: string;
  replicas: number;
  workload: Workload;
  /** A job, a cronjob or a stateful service; absent: a replicated service. */
  run?: RunKind;
  rollout: RolloutPolicy;
  restart: RestartPolicy;
  /**
   * The canary track, when a progressive release runs: converge makes both tracks real and
   * applies `traffic`. Without it, traffic goes back to stable first, then the canary is removed.
   */
  canary?: CanaryTrack;
  /** How requests split between the tracks; everything to stable when absent. */
  traffic?: TrafficSplit;
  /** What the proxy enforces on requests to the service (not part of the workload: no replica restarts). */
  policy?: TrafficPolicy;
  /**
   * The discovery variables (`<SERVICE>_HOST/_PORT/_URL`) of every addressed service when they are not
   * in `workload.env` (renders for Kubernetes, where one shared ConfigMap holds them): one object shared
   * by all states of a release. A replica gets the other services' variables, overridden by `workload.env`.
   */
  discovery?: Record<string, string>;
  /** Credentials to pull `workload.image` (its registry's entry in berth.yaml `registries`); not in the hash. */
  registryAuth?: RegistryAuth;
}
