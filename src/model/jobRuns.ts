/**
 * One entry of a job's history as the API, the CLI and the console show it: a run (scheduled by a
 * cronjob's schedule, started by hand, or a `kind: job`'s run for a version), or a due time that
 * was skipped (`concurrency: forbid` while a run went on) or missed (the control plane was down).
 * Dependency-free: the console imports it as a type.
 */
import type { Message } from './messages.js';

/** What a history entry came to. */
export type JobRunState = 'running' | 'succeeded' | 'failed' | 'skipped' | 'missed';

/** What started a run. */
export type JobRunTrigger = 'scheduled' | 'manual' | 'deploy';

export interface JobRun {
  app: string;
  env: string;
  /** The job or cronjob (a service of the app). */
  job: string;
  runId: string;
  trigger: JobRunTrigger;
  status: JobRunState;
  /** When the schedule asked for it (scheduled runs, skipped and missed entries). */
  dueAt?: string;
  startedAt?: string;
  endedAt?: string;
  exitCode?: number | null;
  /** Why it failed, was skipped or missed, in one line. */
  reason?: string;
  /** `reason` as a code with params, for the console to translate. */
  reasonMessage?: Message;
  /** The last lines of its log, oldest first. */
  logTail: string[];
  /** The replica whose logs are the run's: `berth logs APP/JOB --replica REPLICA`. */
  replica?: string;
}
