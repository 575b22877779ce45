/**
 * The runs of a cronjob on one machine: each run is a replica of the cronjob's service that runs to
 * completion (like a job's, retried up to backoffLimit), named after the scheduler's run id. Ended
 * runs keep their directory (record and logs) until JOB_RUNS_KEPT newer ones ended.
 */
import { message } from '../../model/messages.js';
import type { JobRunStatus } from '../runtime.js';
import { JOB_RUNS_KEPT } from './jobRun.js';
import type { Replica } from './replica.js';
import { writeReplicaRecord } from './replicaStore.js';
import type { JobCompletion, ReplicaRecord } from './replicaStore.js';

/** The replica id of run `runId` of `service`. */
export function runReplicaId(service: string, runId: string): string {
  return `${service}-${runId}`;
}

/** A run as the runtime reports it. */
export function runStatusOf(service: string, r: Replica): JobRunStatus {
  const c = r.record.completion;
  return {
    runId: r.id.slice(service.length + 1),
    replica: r.id,
    phase: c ? c.result : 'running',
    ...(r.record.created ? { startedAt: r.record.created } : {}),
    ...(c ? { endedAt: c.endedAt, exitCode: c.exitCode, reason: c.reason } : {}),
    ...(c?.reasonMessage ? { reasonMessage: c.reasonMessage } : {}),
    attempts: c ? c.attempts : r.record.restarts + 1,
    logTail: c ? c.logTail : [],
  };
}

/** The runs among a set's replicas, oldest first. */
export function runsOf(service: string, replicas: Iterable<Replica>): JobRunStatus[] {
  return [...replicas]
    .filter((r) => r.record.spec.job)
    .sort((a, b) => a.record.created.localeCompare(b.record.created))
    .map((r) => runStatusOf(service, r));
}

/** The ended runs beyond the newest JOB_RUNS_KEPT, to remove. */
export function runsToPrune(runs: readonly Replica[]): Replica[] {
  return runs
    .filter((r) => r.record.completion && !r.terminating)
    .sort((a, b) => b.record.created.localeCompare(a.record.created))
    .slice(JOB_RUNS_KEPT);
}

/** Stops a running run (`concurrency: replace`); it stays, failed as `replaced by a newer run`. */
export async function stopRun(r: Replica | undefined, now: () => number): Promise<void> {
  if (!r || r.record.completion) return;
  await r.stop();
  r.record.completion = replacedCompletion(r.record, now());
  writeReplicaRecord(r.dir, r.record);
}

function replacedCompletion(rec: ReplicaRecord, nowMs: number): JobCompletion {
  const reason = message('job.replaced');
  return {
    result: 'failed',
    exitCode: rec.lastExit?.code ?? null,
    reason: reason.text,
    reasonMessage: reason,
    endedAt: new Date(nowMs).toISOString(),
    attempts: rec.restarts + 1,
    logTail: [],
  };
}
