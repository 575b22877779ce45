/**
 * The kinds and lifecycles of releases and their steps, and the rollback policy: what the store
 * records, the engine sets, and the API, the CLI and the console show. Part of the shared model
 * (dependency-free).
 */

/** Kinds of release; `down` is a release that removes every service of the app. */
export const ReleaseKind = {
  deploy: 'deploy',
  rollback: 'rollback',
  autoRollback: 'auto-rollback',
  down: 'down',
  scale: 'scale',
  restart: 'restart',
  /** A live change of a service's or route's traffic policy: no replica moves. */
  policy: 'policy',
  /** Another environment's revision (its spec, image digests and code) deployed with this environment's config. */
  promotion: 'promotion',
} as const;
export type ReleaseKind = (typeof ReleaseKind)[keyof typeof ReleaseKind];

/** Lifecycle of a release. */
export const ReleaseStatus = {
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
} as const;
export type ReleaseStatus = (typeof ReleaseStatus)[keyof typeof ReleaseStatus];

/** Lifecycle of one service's step inside a release. */
export const StepStatus = {
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

/** Whether a failed release rolls back by itself. */
export const RollbackPolicy = { auto: 'auto', none: 'none' } as const;
export type RollbackPolicy = (typeof RollbackPolicy)[keyof typeof RollbackPolicy];
