/**
 * Health checks of a replica (readiness and liveness), Kubernetes-style. Part of the shared model:
 * dependency-free, used by berth.yaml's schema, the release engine and every runtime.
 */

/** A health check, Kubernetes-style. All durations are in milliseconds. */
export type Probe = ProbeTiming &
  (
    | { kind: 'http'; path: string; /** Defaults to the replica's $PORT. */ port?: number }
    | { kind: 'tcp'; /** Defaults to the replica's $PORT. */ port?: number }
    | { kind: 'exec'; command: string[] }
  );

export interface ProbeTiming {
  initialDelayMs: number;
  /** Kubernetes default 10 s. */
  periodMs: number;
  /** Kubernetes default 1 s. */
  timeoutMs: number;
  /** Kubernetes default 3. */
  failureThreshold: number;
  /** Kubernetes default 1. */
  successThreshold: number;
}
