/** The shapes the control plane's API sends (src/server/routes), as the console uses them. */

export interface Problem {
  file?: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
}

export interface ErrorBody {
  code: string;
  message: string;
  problems?: Problem[];
  details?: Record<string, unknown>;
}

export type ReleaseStatus = 'pending' | 'running' | 'succeeded' | 'failed';
export type StepStatus = ReleaseStatus | 'skipped';

export interface ReleaseStep {
  service: string;
  level: number;
  status: StepStatus;
  message: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Release {
  id: number;
  app: string;
  env: string;
  revision: number;
  kind: 'deploy' | 'rollback' | 'auto-rollback' | 'down' | 'scale' | 'restart' | 'policy';
  status: ReleaseStatus;
  reason: string | null;
  specDigest: string;
  specFile: string;
  configVersion: number;
  sourceRevision: number | null;
  rollbackPolicy: 'auto' | 'none';
  author: string;
  message: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: ReleaseStep[];
}

export interface ReleaseEvent {
  id: number;
  releaseId: number;
  time: string;
  service: string | null;
  type: string;
  reason: string;
  message: string;
}

export interface AppSummary {
  app: string;
  env: string;
  lastRelease?: Release;
  currentRevision: number | null;
  down: boolean;
}

export interface ReplicaStatus {
  id: string;
  phase: 'starting' | 'ready' | 'unready' | 'backoff' | 'terminating' | 'exited';
  hash: string;
  pid?: number;
  port?: number;
  startedAt?: string;
  restarts: number;
  lastExit?: { at: string; code: number | null; signal: string | null; reason: string };
  message?: string;
  cpuPercent?: number;
  memoryBytes?: number;
}

/** A running version of a service (issue 5): one normally, two during a canary or blue-green release. */
/** One track of a service during a canary, blue-green or A/B rollout (src/runtime/runtime.ts TrackStatus). */
export interface Track {
  track: 'stable' | 'canary';
  revision?: number;
  hash?: string;
  readyReplicas: number;
  desiredReplicas: number;
  /** Percent of weighted traffic the track receives. */
  weight: number;
}

export interface ServiceStatus {
  app: string;
  env: string;
  service: string;
  revision?: number;
  hash?: string;
  desiredReplicas: number;
  readyReplicas: number;
  address?: { host: string; port: number; url: string; error?: string };
  replicas: ReplicaStatus[];
  tracks?: Track[];
}

export interface AppStatus {
  app: string;
  env: string;
  currentRevision: number | null;
  lastRelease: Release | null;
  services: ServiceStatus[];
  edge?: { url: string; port: number; error?: string };
}

export interface Route {
  host?: string;
  pathPrefix: string;
  service: string;
  stripPrefix: boolean;
}

export interface RenderedService {
  service: string;
  hash: string;
  replicas: number;
  dependsOn: string[];
}

export interface RenderedRelease {
  app: string;
  env: string;
  configVersion: number;
  levels: string[][];
  services: Record<string, RenderedService>;
  routes: Route[];
}

export interface FieldChange {
  path: string;
  from?: unknown;
  to?: unknown;
  because: string[];
}

export interface ServicePlan {
  service: string;
  action: 'create' | 'update' | 'scale' | 'remove' | 'unchanged';
  restart: boolean;
  fromHash?: string;
  toHash?: string;
  fromReplicas?: number;
  toReplicas?: number;
  changes: FieldChange[];
}

export interface Plan {
  app: string;
  env: string;
  fromConfigVersion?: number;
  toConfigVersion: number;
  services: ServicePlan[];
  routes: { added: Route[]; removed: Route[] };
  levels: string[][];
  changed: boolean;
}

export interface PlanResult {
  plan: Plan;
  current?: Release;
}

export interface ConfigVersionInfo {
  app: string;
  env: string;
  version: number;
  author: string | null;
  message: string | null;
  createdAt: string | null;
  summary: { added: string[]; changed: string[]; removed: string[] };
}

export interface ConfigView extends ConfigVersionInfo {
  values: Record<string, { value: string; secret: boolean }>;
  files: Record<string, { content: string; secret: boolean }>;
}

export interface ConfigDiffEntry {
  kind: 'value' | 'file';
  key: string;
  change: 'added' | 'removed' | 'changed';
  from?: string;
  to?: string;
  secret: boolean;
}

export interface Environment {
  name: string;
  target: { kind: 'local' } | { kind: 'kubernetes'; context?: string; namespace: string };
  defaults: Record<string, string>;
  createdAt: string;
}

export interface LogLine {
  time: string;
  service: string;
  replica: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** What secrets look like wherever the API shows them. */
export const MASK = '******';
