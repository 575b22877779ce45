/**
 * The shapes the control plane's API sends, as the console uses them. They are the server's own
 * types (imported type-only, so no server code reaches the bundle): a change on one side that the
 * other does not follow fails the typecheck instead of the page.
 */

import type { ErrorJSON } from '../../../src/errors.js';

export type { Problem } from '../../../src/errors.js';

/** An error answer: the server's codes, or one the console gives a failure of its own (`HTTP_502`, `INVALID_YAML`). */
export interface ErrorBody extends Omit<ErrorJSON, 'code'> {
  code: ErrorJSON['code'] | `HTTP_${number}` | 'INVALID_YAML';
}
export type {
  Release,
  ReleaseEvent,
  ReleaseStatus,
  ReleaseStep,
  StepProgress,
  StepStatus,
} from '../../../src/release/releases.js';
export type {
  CircuitStatus,
  LogLine,
  ReplicaStatus,
  ServiceStatus,
  TrackStatus as Track,
} from '../../../src/model/observation.js';
export type { Route, TrafficPolicy, TrafficSplit } from '../../../src/model/routing.js';
export type { VolumeStatus } from '../../../src/model/volumes.js';
export type { TrackAutoscaleStatus as TrackAutoscale } from '../../../src/autoscale/autoscaler.js';
export type { AppStatus, AppSummary, AutoscaleStatus, Policies, Variables } from '../../../src/server/apiTypes.js';
export type { VariableInfo } from '../../../src/spec/variableReport.js';
export type { RenderedRelease, RenderedService } from '../../../src/release/render.js';
export type { FieldChange, Plan, ServicePlan } from '../../../src/release/plan.js';
export type { PlanResult } from '../../../src/release/engine.js';
export type { ConfigDiffEntry, ConfigVersionInfo, ConfigView } from '../../../src/config/configSets.js';
export type { Environment } from '../../../src/environment/environments.js';

/** What secrets look like wherever the API shows them. */
export const MASK = '******';
export type { JobRun } from '../../../src/model/jobRuns.js';
export type { JobsStatus, JobStatus } from '../../../src/server/apiTypes.js';
