/**
 * What a replica's record keeps of a run that ended: its last exit (code, signal, reason, the last
 * meaningful stderr lines) and, for a crash, the back-off before the next run, counted from the exit.
 */
import { message, type Message } from '../../model/messages.js';
import type { RestartPolicy } from '../../model/serviceState.js';
import { nextStreak } from './backoff.js';
import { formatDuration } from '../../model/durations.js';
import { backOffReason, exitReasonMessage, meaningfulLines } from './exitReason.js';
import { iso } from './replicaRun.js';
import { CRASH_STDERR_LINES } from './replicaStore.js';
import type { ReplicaRecord } from './replicaStore.js';
import type { ExitInfo } from './shimFiles.js';
import { completionMessage } from './jobRun.js';

/**
 * Records the exit in `record` (not written); `pendingReason` (a liveness failure, an OOM kill) wins
 * over what the exit itself says. Returns the reason and when the run ended.
 */
export function recordExit(
  record: ReplicaRecord,
  info: ExitInfo,
  pendingReason: Message | undefined,
  nowMs: number,
): { why: Message; exitAtMs: number; ranForMs: number } {
  // A replica that ended while no control plane watched it ended at info.at, not now.
  const exitAtMs = Math.min(nowMs, Date.parse(info.at) || nowMs);
  const ranForMs = record.startedAt ? exitAtMs - Date.parse(record.startedAt) : 0;
  const why = pendingReason ?? exitReasonMessage(info);
  record.lastExit = { at: info.at, code: info.code, signal: info.signal, reason: why.text, reasonMessage: why };
  const stderr = meaningfulLines(info.stderrTail ?? []).slice(-CRASH_STDERR_LINES);
  if (stderr.length > 0) record.lastStderr = stderr;
  else delete record.lastStderr;
  return { why, exitAtMs, ranForMs };
}

/**
 * Schedules the restart after a crash in `record` (not written): the streak, the restart count and
 * `backoffUntil`, counted from the exit (time with the control plane down was waited already).
 * A run that never got running does not reset the streak. Returns the replica's back-off message.
 */
export function scheduleBackOff(
  record: ReplicaRecord,
  policy: RestartPolicy,
  exit: { info: ExitInfo; why: Message; exitAtMs: number; ranForMs: number },
  everRunning: boolean,
  nowMs: number,
): Message {
  const { delayMs, streak } = nextStreak(policy, record.backoffStreak, everRunning ? exit.ranForMs : 0);
  record.backoffStreak = streak;
  record.restarts++;
  record.backoffUntil = iso(Math.max(nowMs, exit.exitAtMs + delayMs));
  // Shown as kubectl shows a back-off: whole seconds from one second up (1.2 s → `1s`), else milliseconds.
  const shown = delayMs >= 1000 ? Math.round(delayMs / 1000) * 1000 : delayMs;
  return message('event.backOff', { delay: formatDuration(shown), reason: backOffReason(exit.info, exit.why) });
}

/** A job run's outcome in one line (its replica's status message). */
export function completedMessage(rec: ReplicaRecord): Message | undefined {
  return rec.completion && completionMessage(rec.completion);
}
