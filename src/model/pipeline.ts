/**
 * Pipelines (issue 17 point 3): an app's pipeline as `berth pipeline set` stores it, and its runs with
 * their steps as the store, the API, the CLI and the console see them (src/pipelines/, docs/pipelines.md).
 */

/** One step of a pipeline, as its definition says it (durations in milliseconds). */
export type PipelineStepSpec =
  | { kind: 'build'; env: string }
  | { kind: 'test'; command: string; timeoutMs: number }
  | { kind: 'test'; job: string; env: string; timeoutMs: number }
  | { kind: 'deploy'; env: string }
  | { kind: 'approval'; env?: string }
  | { kind: 'promote'; from: string; to: string };

/** A pipeline's definition (the webhook's secret is kept apart, encrypted, and never shown). */
export interface PipelineDefinition {
  source: {
    /** The git URL the control plane fetches (https://, http://, git://, ssh://, file:// or a path). */
    url: string;
    branch: string;
    /** The folder of berth.yaml in the repository (`.`: its root). */
    path: string;
  };
  /** Present when pushes and pull requests may trigger runs through `/api/v1/hooks/...`. */
  webhook?: Record<string, never>;
  /** Pull requests get preview environments made from `template`, deleted `ttlMs` after their last update. */
  previews?: { template: string; ttlMs: number };
  steps: PipelineStepSpec[];
}

/** A stored pipeline (one version of it). */
export interface PipelineInfo {
  app: string;
  version: number;
  definition: PipelineDefinition;
  /** A webhook secret is stored (it is never shown). */
  webhookSecret: boolean;
  author: string;
  createdAt: string;
}

export type PipelineRunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
export type PipelineStepStatus = PipelineRunStatus | 'skipped';
export type PipelineTrigger = 'manual' | 'push' | 'pull-request';

/** What a finished step produced. */
export interface PipelineStepResult {
  /** deploy and promote: the release made. */
  releaseId?: number;
  revision?: number;
  env?: string;
  /** build: the build's id and each service's outcome. */
  buildId?: string;
  services?: { service: string; status: string; image?: string; imageDigest?: string; codeDigest?: string }[];
  /** test: the command's exit code. */
  exitCode?: number;
  /** approval: who approved. */
  approvedBy?: string;
  /** test command under way: its process group's leader and that process's start time (to stop it after a restart). */
  pid?: number;
  pidStart?: number;
}

export interface PipelineRunStep {
  index: number;
  spec: PipelineStepSpec;
  /** `build test`, `test: npm test`, `deploy test`, `approval staging`, `promote test → staging`. */
  title: string;
  status: PipelineStepStatus;
  startedAt?: string;
  finishedAt?: string;
  result?: PipelineStepResult;
  error?: string;
  /** The last lines of its log when it failed. */
  logTail?: string[];
}

export interface PipelineRun {
  id: number;
  app: string;
  status: PipelineRunStatus;
  trigger: PipelineTrigger;
  author: string;
  /** The branch the run was asked for (the source branch, or a pull request's). */
  branch: string;
  /** The commit (40 hex); resolved from the branch's head when the run starts, if not given. */
  commit?: string;
  /** The pipeline version whose steps it runs. */
  pipelineVersion: number;
  /** A pull request's run: the preview environment's key (`pr-12`) and name. */
  preview?: { key: string; env: string };
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Why it failed or was cancelled (a superseded run names the run that replaced it). */
  error?: string;
  steps: PipelineRunStep[];
}
