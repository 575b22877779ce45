/**
 * Why a converge of the local runtime fails, in one line the release keeps as its reason: a crash
 * loop of the new version (it fails at once, not at the progress deadline), or no progress within
 * `rollout.progressDeadline`, each naming the replicas and how they ended.
 */
import { ConflictError, RuntimeError } from '../../errors.js';
import { CRASH_LOOP_THRESHOLD } from '../runtime.js';
import { message, type Message } from '../../model/messages.js';
import type { Replica } from './replica.js';

export { CRASH_LOOP_THRESHOLD };

/** Longest stderr line quoted. */
const MAX_LINE_CHARS = 200;

/**
 * The crash loop among `fresh` (replicas of the version being rolled out): the first that crashed
 * CRASH_LOOP_THRESHOLD times in a row without ever becoming ready, as an error naming it, its last
 * exit (code or signal with the stderr line that says why, or why it could not start) and its last
 * meaningful stderr lines. Undefined when none.
 */
export function crashLoopError(service: string, fresh: readonly Replica[]): RuntimeError | undefined {
  const looping = fresh.find((r) => !r.record.everReady && r.record.restarts >= CRASH_LOOP_THRESHOLD);
  if (!looping) return undefined;
  const { lastExit, lastStderr, restarts } = looping.record;
  const stderr = (lastStderr ?? []).map((l) => (l.length > MAX_LINE_CHARS ? `${l.slice(0, MAX_LINE_CHARS - 1)}…` : l));
  const head = { service, replica: looping.id, crashes: restarts };
  // The release's reason keeps the code, so the console can say it in its language; a record
  // without a last exit (none seen so far) has no code and reads as the text alone.
  const reason = lastExit
    ? stderr.length > 0
      ? message('release.crashLoop', { ...head, lastExit: exitOf(lastExit), lastStderr: stderr.join(' | ') })
      : message('release.crashLoopNoStderr', { ...head, lastExit: exitOf(lastExit) })
    : undefined;
  const text =
    reason?.text ??
    `${service}: crash loop: ${looping.id} crashed ${restarts} times in a row without ever becoming ready` +
      (stderr.length > 0 ? `; last stderr: ${stderr.join(' | ')}` : '');
  const err = new RuntimeError(text, {
    details: {
      service,
      replica: looping.id,
      restarts,
      ...(lastExit ? { exitCode: lastExit.code, signal: lastExit.signal } : {}),
      ...(lastStderr ? { stderr: lastStderr } : {}),
    },
  });
  return reason ? Object.assign(err, { reasonMessage: reason }) : err;
}

/** A last exit as a message param: its code when the record has one (older records: the text). */
function exitOf(e: NonNullable<Replica['record']['lastExit']>): Message | string {
  return e.reasonMessage ?? e.reason;
}

/**
 * Why a converge made no progress: how many replicas are ready after how long, each unready
 * replica of the wanted versions with its reason, and how many of an older version remain.
 */
export function noProgressMessage(
  service: string,
  elapsedMs: number,
  ready: { newReady: number; desired: number },
  all: readonly Replica[],
  wanted: ReadonlySet<string>,
): Message {
  const parts = all
    .filter((r) => wanted.has(r.hash) && !r.serving && !r.terminating)
    .map((r) => {
      const s = r.status();
      // A crash loop is better explained by how the last run ended than by the current attempt.
      const why =
        s.lastExit && s.restarts > 0 && s.phase !== 'unready'
          ? message('release.exitedRestarts', { reason: exitOf(s.lastExit), restarts: s.restarts })
          : (s.messageDetail ?? s.message ?? s.phase);
      return { code: 'release.replicaWhy' as const, params: { replica: r.id, reason: why } };
    });
  const old = all.filter((r) => !wanted.has(r.hash)).length;
  const tail = old > 0 ? [{ code: 'release.olderRemain' as const, params: { count: old } }] : [];
  // Each part ends in the next (`; <part><rest>`), so a translation lists them the same way.
  const details = [...parts, ...tail].reduceRight<Message | ''>(
    (rest, p) => message(p.code, { ...p.params, rest }),
    '',
  );
  const seconds = Math.round(elapsedMs / 1000);
  return message('release.noProgress', { service, ...ready, seconds, details });
}

/** Why a converge stopped before its end: the runtime closed, or a newer converge of the service took over. */
export function convergeStale(why: 'closed' | 'superseded', service: string): RuntimeError | ConflictError {
  if (why === 'closed') {
    const m = message('release.convergeClosed', { service });
    return Object.assign(new RuntimeError(m.text), { reasonMessage: m });
  }
  const m = message('release.convergeSuperseded', { service });
  return Object.assign(new ConflictError(m.text), { reasonMessage: m });
}
