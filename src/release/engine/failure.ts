/**
 * Why a release failed, as a coded message: the error it failed with, or, when it was stopped
 * (cancelled, timed out), why it was stopped and which services it was rolling out then.
 */
import { ConflictError, toBerthError } from '../../errors.js';
import { message as coded, messageOf, type Message, type ReasonCode } from '../../model/messages.js';
import type { CancelRequest, Releases } from '../releases.js';
import { StepStatus } from '../../model/releaseStatus.js';

/** The reason a cancelled release fails with. */
export function cancelledError(c: CancelRequest): ConflictError {
  const m = coded('release.cancelled', { by: c.by });
  return Object.assign(new ConflictError(m.text), { reasonMessage: m });
}

/**
 * Why a release failed: the error, or, when it was stopped (cancelled, timed out), why it was
 * stopped and which services it was rolling out then.
 */
export async function failureReason(
  releases: Pick<Releases, 'get'>,
  id: number,
  err: unknown,
  stops: (AbortSignal | undefined)[],
): Promise<Message> {
  const message = toBerthError(err).message;
  const stop = stops.find((s) => s?.aborted);
  // A failure that says why with a code keeps it (a rollout aborted by someone, a failed analysis).
  if (!stop) return messageOf(err) ?? coded('release.failed', { error: message });
  const why = toBerthError(stop.reason).message;
  const whyMessage = messageOf(stop.reason) ?? why;
  if (!message.includes(why))
    return coded('release.stoppedWith', { why: whyMessage, error: messageOf(err) ?? message });
  const services = (await releases.get(id)).steps
    .filter((s) => s.status === StepStatus.failed)
    .map((s) => s.service)
    .join(', ');
  const stopped = messageOf(stop.reason); // release.cancelled or release.timedOut, from the stop's signal
  const rollingOut = stopped && WHILE_ROLLING_OUT.get(stopped.code);
  if (services && stopped && rollingOut) return coded(rollingOut, { ...stopped.params, services });
  if (services) return coded('release.stoppedRollingOut', { why: whyMessage, services });
  return stopped ?? coded('release.failed', { error: why });
}

/** A stop's reason, and the same naming the services it was rolling out. */
const WHILE_ROLLING_OUT = new Map<ReasonCode, ReasonCode>([
  ['release.cancelled', 'release.cancelledRollingOut'],
  ['release.timedOut', 'release.timedOutRollingOut'],
]);
