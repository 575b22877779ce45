/**
 * A job on one machine (berth.yaml `kind: job`): one replica per workload hash that runs to
 * completion. Its replica directory stays after it ended, with the outcome in replica.json, so the
 * same hash is never run again — not by a later deploy, nor by a control plane restarted while it
 * ran (the shim keeps running and records the exit; the new control plane adopts it).
 */
import { RuntimeError } from '../../errors.js';
import { message, type Message } from '../../model/messages.js';
import type { ServiceState } from '../../model/serviceState.js';
import { readAllLogRecords } from './logFiles.js';
import type { JobCompletion, ReplicaRecord } from './replicaStore.js';
import type { ExitInfo } from './shimFiles.js';

/** What a job's reconcile reads of a replica (replica.ts's Replica has it; replica.ts imports this file). */
export interface JobReplica {
  readonly id: string;
  readonly hash: string;
  readonly terminating: boolean;
  readonly record: Pick<ReplicaRecord, 'completion' | 'created'>;
}

/** How many of the last log lines a job's outcome keeps (and a failed release quotes). */
export const JOB_LOG_TAIL_LINES = 10;

/** Ended runs a job keeps (the current version's and the versions before it), newest first. */
export const JOB_RUNS_KEPT = 5;

/** Longest log line kept in a tail. */
const MAX_LINE_CHARS = 300;

/** Whether `state` is a job on this runtime (a run to completion, not a long-running service). */
export function isJob(state: ServiceState | undefined): boolean {
  return state?.run?.kind === 'job';
}

/** The last lines of the run's log (stdout and stderr as written), each cut to a readable length. */
export function logTailOf(logDir: string, keep: number): string[] {
  return readAllLogRecords(logDir, { includeCurrent: true, keep })
    .slice(-JOB_LOG_TAIL_LINES)
    .map((r) => (r.line.length > MAX_LINE_CHARS ? `${r.line.slice(0, MAX_LINE_CHARS - 1)}…` : r.line));
}

/**
 * What a job's run that exited with `info` comes to: its completion when it succeeded (exit 0) or
 * has used up its retries, undefined when it is to be retried (after the restart backoff).
 */
export function completionOf(
  rec: ReplicaRecord,
  info: ExitInfo,
  reason: Message,
  logTail: () => string[],
): JobCompletion | undefined {
  const job = rec.spec.job;
  if (!job) return undefined;
  const succeeded = info.code === 0 && !info.error;
  if (!succeeded && rec.restarts < job.backoffLimit) return undefined;
  const why = info.code !== null && !info.error ? message('exit.shortCode', { code: info.code }) : reason;
  return {
    result: succeeded ? 'succeeded' : 'failed',
    exitCode: info.code,
    reason: why.text,
    reasonMessage: why,
    endedAt: info.at,
    attempts: rec.restarts + 1,
    logTail: logTail(),
  };
}

/** A run's outcome in one line: `completed (1 run)`, `failed: exit code 3 (2 runs)`. */
export function completionMessage(c: JobCompletion): Message {
  return c.result === 'succeeded'
    ? message('job.completed', { attempts: c.attempts })
    : message('job.failed', { reason: c.reasonMessage ?? c.reason, attempts: c.attempts });
}

/**
 * One reconcile step of a job: its run of this hash starts unless one exists (running, backing off
 * or ended: an ended run is the record that this hash ran, so a rollback to it does not run it
 * again); a run of another hash that has not ended is stopped; ended runs beyond the newest
 * JOB_RUNS_KEPT go.
 */
export function jobPlan<R extends JobReplica>(
  state: ServiceState,
  live: readonly R[],
  pending: number,
): { retire: R[]; start: boolean } {
  const others = live.filter((r) => r.hash !== state.hash);
  const ended = others
    .filter((r) => r.record.completion)
    .sort((a, b) => b.record.created.localeCompare(a.record.created));
  return {
    retire: [...others.filter((r) => !r.record.completion), ...ended.slice(JOB_RUNS_KEPT - 1)],
    start: pending === 0 && !live.some((r) => r.hash === state.hash),
  };
}

/** Where the converge of a job stands: still running, done, or failed (with the error to throw). */
export type JobProgress = { kind: 'running' } | { kind: 'succeeded' } | { kind: 'failed'; error: RuntimeError };

/**
 * The progress of the job of `state` among a set's `replicas`: done once the run of its hash
 * succeeded and no run of another hash remains; failed once that run failed for good.
 */
export function jobProgress(state: ServiceState, replicas: readonly JobReplica[]): JobProgress {
  const run = replicas.find((r) => r.hash === state.hash && !r.terminating);
  const done = run?.record.completion;
  if (!run || !done) return { kind: 'running' };
  if (done.result === 'failed') return { kind: 'failed', error: jobFailedError(state.service, run.id, done) };
  return replicas.every((r) => r.record.completion) ? { kind: 'succeeded' } : { kind: 'running' };
}

/** The error a failed job fails its release with: how its last run ended and the tail of its log. */
export function jobFailedError(service: string, replica: string, c: JobCompletion): RuntimeError {
  const reason = message('release.jobFailed', {
    service,
    attempts: c.attempts,
    lastExit: c.reasonMessage ?? c.reason,
    logTail: c.logTail.length > 0 ? c.logTail.join(' | ') : message('job.noOutput'),
  });
  return Object.assign(
    new RuntimeError(reason.text, {
      details: { service, replica, attempts: c.attempts, exitCode: c.exitCode, logTail: c.logTail },
    }),
    { reasonMessage: reason },
  );
}
