/**
 * The parts of a release record the API shows beside its columns: steps and where a progressive
 * rollout stands, an operator's commands, the options a release was started with.
 */
import type { ReleaseKind, ReleaseStatus, StepStatus } from '../model/releaseStatus.js';
import type { Message } from '../model/messages.js';
import type { AnalysisCheck } from './analysis.js';

export interface ReleaseStep {
  service: string;
  level: number;
  status: StepStatus;
  message: string | null;
  /** `message` as a code with params, for the console to translate. */
  messageDetail?: Message;
  startedAt: string | null;
  finishedAt: string | null;
  /** Where a canary, blue-green or A/B rollout of the service stands; absent for rolling. */
  progress?: StepProgress;
}

/** Where a progressive rollout stands: step `step` (0-based) of `of`, begun at `stepStartedAt`. */
export interface StepProgress {
  strategy: 'canary' | 'blueGreen' | 'abTest';
  step: number;
  of: number;
  /** Percent of weighted traffic on the new track now. */
  weight: number;
  /** What the step does, e.g. `weight 25%`, `pause 30s`, `waiting for promote`, `finalizing`. */
  phase: string;
  /** The same as a code and params, for the console to translate. */
  phaseMessage?: Message;
  stepStartedAt: string;
  /** The analysis checks of the rollout so far, oldest first (absent before the first). */
  checks?: AnalysisCheck[];
}

/** An operator's command to a running progressive rollout. */
export interface StepCommand {
  kind: 'promote' | 'promoteFull' | 'abort';
  by: string;
  at: string;
}

/**
 * What a release was started with beyond its own columns, stored with it and honoured when a
 * restarted control plane resumes it.
 */
export interface ReleaseOptions {
  /** The release fails when it has not finished this long after it started (resumes included). */
  timeoutMs?: number;
  /** Where a promotion's content came from: revision `revision` of the app in environment `env` (`berth promote`). */
  promotedFrom?: PromotedFrom;
}

/** The source of a promoted revision. */
export interface PromotedFrom {
  env: string;
  revision: number;
}

/** An operator's request to end a running release (`berth cancel`). */
export interface CancelRequest {
  by: string;
  at: string;
}

/** A release as the API shows it (the rendered state is fetched separately). */
export interface Release {
  id: number;
  app: string;
  env: string;
  revision: number;
  kind: ReleaseKind;
  status: ReleaseStatus;
  reason: string | null;
  /** `reason` as a code and params, for the console to translate (absent for older releases). */
  reasonMessage?: Message;
  specDigest: string;
  specFile: string;
  configVersion: number;
  sourceRevision: number | null;
  rollbackPolicy: 'auto' | 'none';
  /** What it was started with (its timeout); `{}` when nothing beyond the defaults. */
  options: ReleaseOptions;
  /** Set once someone asked to cancel it; the engine then fails it (and rolls back per its policy). */
  cancelRequest: CancelRequest | null;
  author: string;
  message: string | null;
  /** `message` as a code with params when Berth wrote it (scale, restart, down, auto-rollback). */
  messageDetail?: Message;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: ReleaseStep[];
}
