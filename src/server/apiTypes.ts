/**
 * The answers of the HTTP API that no domain module names on its own, declared once: the routes
 * return them and the web console imports them (type-only), so the two cannot drift apart.
 */
import type { TrackAutoscaleStatus } from '../autoscale/autoscaler.js';
import type { JobRun } from '../model/jobRuns.js';
import type { ConfigDrift } from '../release/configDrift.js';
import type { PlanResult } from '../release/engine/engine.js';
import type { Release } from '../release/releases.js';
import type { AppObservation } from '../model/observation.js';
import type { TrafficPolicy } from '../model/routing.js';
import type { VariableInfo } from '../spec/variableReport.js';

/** `GET /api/v1/apps`: one entry per app and environment. */
export interface AppSummary {
  app: string;
  env: string;
  lastRelease?: Release;
  currentRevision: number | null;
  /** The current revision took the app down. */
  down: boolean;
}

/** `GET …/status`: what runs, observed by the environment's runtime. */
export interface AppStatus extends AppObservation {
  app: string;
  env: string;
  currentRevision: number | null;
  lastRelease: Release | null;
  /** The config set is ahead of the running release: which keys, and how to return to what runs. */
  configDrift?: ConfigDrift;
}

/** `POST /api/v1/plans`: the plan, and what it starts from. */
export interface PlanResponse extends PlanResult {
  /** The newest revision when it is not the current one (e.g. a first deploy that failed). */
  lastRelease?: Release;
  /** Replicas the runtime runs for the app now (they run after a failed first revision too). */
  runningReplicas: number;
  /** The config set is ahead of the running release (see AppStatus). */
  configDrift?: ConfigDrift;
}

/** `GET …/policy`: the traffic policies in force as of the current revision. */
export interface Policies {
  app: string;
  env: string;
  revision: number;
  services: Record<string, TrafficPolicy | null>;
  routes: { path: string; host?: string; service: string; policy: TrafficPolicy | null }[];
}

/** `GET …/autoscale`: the autoscaler's view of every autoscaled track of the app. */
export interface AutoscaleStatus {
  app: string;
  env: string;
  tracks: TrackAutoscaleStatus[];
}

/** `GET …/variables`: the variables of the berth.yaml of the app's latest revision, in this environment. */
export interface Variables {
  app: string;
  env: string;
  /** The revision whose berth.yaml is reported. */
  revision: number;
  /** The config version whose values are reported. */
  configVersion: number;
  variables: VariableInfo[];
}

/** One job or cronjob of the current release with its history (`GET …/jobs`). */
export interface JobStatus {
  job: string;
  kind: 'job' | 'cronjob';
  schedule?: string;
  /** The environment's time zone the schedule is read in. */
  timeZone?: string;
  concurrency?: 'forbid' | 'allow' | 'replace';
  backoffLimit: number;
  nextDueAt?: string;
  /** Newest first. */
  runs: JobRun[];
}

/** `GET …/jobs`. */
export interface JobsStatus {
  app: string;
  env: string;
  jobs: JobStatus[];
}
