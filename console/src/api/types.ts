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
  /** Where a canary, blue-green or A/B rollout of the service stands; absent for rolling. */
  progress?: StepProgress;
}

/** Where a progressive rollout stands: step `step` (0-based) of `of`; `phase` is the server's words. */
export interface StepProgress {
  strategy: 'canary' | 'blueGreen' | 'abTest';
  step: number;
  of: number;
  /** Percent of weighted traffic on the new track now. */
  weight: number;
  /** What the step does, e.g. `weight 25%`, `pause 30s`, `waiting for promote`, `finalizing`. */
  phase: string;
  stepStartedAt: string;
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
  /** The live split between the tracks, when there are two. */
  traffic?: TrafficSplit;
  /** The circuit breaker as the proxy sees it, when the service has one. */
  circuit?: CircuitStatus;
}

/** How requests split between the tracks (src/runtime/runtime.ts TrafficSplit). */
export interface TrafficSplit {
  canaryWeight: number;
  match?: { header: string; value: string } | { cookie: string; value: string };
}

/** A circuit breaker's state (src/runtime/runtime.ts CircuitStatus). */
export interface CircuitStatus {
  state: 'closed' | 'open' | 'halfOpen';
  openedAt?: string;
  reason?: string;
}

/** A traffic policy as the API returns it: normalised, durations in milliseconds (src/runtime/runtime.ts). */
export interface TrafficPolicy {
  rateLimit?: { requestsPerSecond: number; burst: number };
  timeoutMs?: number;
  retries?: { attempts: number; onStatus: number[]; backoffMs: number };
  circuitBreaker?: {
    consecutiveFailures?: number;
    errorRate?: number;
    minRequests: number;
    windowMs: number;
    openMs: number;
    halfOpenRequests: number;
  };
  fallback?: { status: number; body: string; contentType: string };
}

/** `GET …/policy`: the policies in force as of the current revision. */
export interface Policies {
  app: string;
  env: string;
  revision: number;
  services: Record<string, TrafficPolicy | null>;
  routes: { path: string; host?: string; service: string; policy: TrafficPolicy | null }[];
}

/** The autoscaler's view of one track (`GET …/autoscale`, src/autoscale/autoscaler.ts). */
export interface TrackAutoscale {
  service: string;
  track: 'stable' | 'canary';
  revision: number;
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number;
  desiredReplicas: number;
  readyReplicas: number;
  metrics: { name: 'cpu' | 'requestsPerSecond'; target: number; current?: number; error?: string }[];
  reason: string;
  lastEvaluatedAt?: string;
  lastScaleTime?: string;
  error?: string;
  events: { time: string; track: 'stable' | 'canary'; from: number; to: number; reason: string }[];
}

/** `GET …/autoscale`. */
export interface AutoscaleStatus {
  app: string;
  env: string;
  tracks: TrackAutoscale[];
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
