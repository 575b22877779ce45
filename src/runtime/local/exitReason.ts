/**
 * Why a replica's command ended, in one line: how it ended (exit code, signal, could not start)
 * followed by the line of its stderr that most likely says why, so `berth status` and a failed
 * deploy explain a crash without a trip to the logs.
 */
import { message, messageFrom, type Message } from '../../model/messages.js';
import type { ExitInfo } from './shimFiles.js';

/** Longest stderr excerpt kept in a reason. */
const MAX_EXCERPT_CHARS = 200;

/** An error's own line: `Error: ...`, `OSError: [Errno 98] ...`, `java.net.BindException: ...`, `panic: ...`. */
const ERROR_LINE = /^\s*(?:[\w.$]*(?:Error|Exception)\b[^:]*|panic|fatal(?: error)?|FATAL|ERROR|error):\s*\S/;
/** A line that talks about a failure. */
const FAILURE_WORDS = /error|not found|no such|denied|cannot|can't|could not|failed|fatal|refused|in use|invalid/i;
/** Lines that never explain anything: runtime banners, stack frames, closing braces. */
const NOISE = /^\s*(?:Node\.js v\d|at\s|\^+\s*$|[{}[\]()]\s*$|throw\s|\.\.\.|\}\s*$)/;

/** The lines of stderr that can say something (no blank lines, stack frames, braces or runtime banners). */
export function meaningfulLines(lines: readonly string[]): string[] {
  return lines.map((l) => l.trim()).filter((l) => l !== '' && !NOISE.test(l));
}

/**
 * The stderr line most likely to say why the command failed: the last error line, else the last
 * line mentioning a failure, else the last meaningful line. Undefined when stderr was empty.
 */
export function stderrExcerpt(lines: readonly string[] | undefined): string | undefined {
  if (!lines || lines.length === 0) return undefined;
  const meaningful = meaningfulLines(lines);
  const pick =
    findLast(meaningful, (l) => ERROR_LINE.test(l)) ??
    findLast(meaningful, (l) => FAILURE_WORDS.test(l)) ??
    meaningful[meaningful.length - 1];
  if (pick === undefined) return undefined;
  return pick.length > MAX_EXCERPT_CHARS ? `${pick.slice(0, MAX_EXCERPT_CHARS - 1)}…` : pick;
}

/** Why a run could not start or was lost, for an ExitInfo: its English `error` and its code. */
export function exitError(m: Message): { error: string; errorMessage: Message } {
  return { error: m.text, errorMessage: m };
}

/** How the command ended, without the stderr excerpt: `exited with code 3`, `killed by SIGKILL`, or the start error. */
export function exitHowMessage(info: ExitInfo): Message {
  if (info.error !== undefined) return startError(info);
  return info.signal
    ? message('exit.signal', { signal: info.signal })
    : message('exit.code', { code: info.code ?? 'null' });
}

/** `exitHowMessage` as text. */
export function exitHow(info: ExitInfo): string {
  return exitHowMessage(info).text;
}

/** `exitHowMessage` plus the stderr excerpt, e.g. `exited with code 1: Error: listen EADDRINUSE: ...`. */
export function exitReasonMessage(info: ExitInfo): Message {
  const how = exitHowMessage(info);
  const excerpt = info.error !== undefined ? undefined : stderrExcerpt(info.stderrTail);
  return excerpt ? message('exit.withExcerpt', { how, excerpt }) : how;
}

/** `exitReasonMessage` as text. */
export function exitReason(info: ExitInfo): string {
  return exitReasonMessage(info).text;
}

/**
 * What a back-off message says about the exit it follows: `exit code N` (with the excerpt) for an
 * exit the runtime did not cause, else `reason` (a liveness failure, an OOM kill, a start error).
 */
export function backOffReason(info: ExitInfo, reason: Message): Message {
  if (reason.text !== exitReason(info) || info.code === null || info.error !== undefined) return reason;
  const short = message('exit.shortCode', { code: info.code });
  const excerpt = stderrExcerpt(info.stderrTail);
  return excerpt ? message('exit.withExcerpt', { how: short, excerpt }) : short;
}

/** A replica waiting out its back-off, found so by a restarted control plane: `waiting to restart (<last exit>)`. */
export function waitingToRestart(lastExit: { reason: string; reasonMessage?: Message } | undefined): Message {
  return message('replica.waitingToRestart', {
    reason: lastExit?.reasonMessage ?? lastExit?.reason ?? message('exit.exited'),
  });
}

/** A start error's message: the writer's code when it makes the same text (older exit files have text only). */
function startError(info: ExitInfo): Message {
  const m = messageFrom(info.errorMessage);
  return m && m.text === info.error ? m : message('exit.error', { error: info.error ?? '' });
}

function findLast(lines: readonly string[], test: (l: string) => boolean): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (test(lines[i]!)) return lines[i];
  return undefined;
}
