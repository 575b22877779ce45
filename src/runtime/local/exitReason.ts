/**
 * Why a replica's command ended, in one line: how it ended (exit code, signal, could not start)
 * followed by the line of its stderr that most likely says why, so `berth status` and a failed
 * deploy explain a crash without a trip to the logs.
 */
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

/** How the command ended, without the stderr excerpt: `exited with code 3`, `killed by SIGKILL`, or the start error. */
export function exitHow(info: ExitInfo): string {
  return info.error ?? (info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`);
}

/** `exitHow` plus the stderr excerpt, e.g. `exited with code 1: Error: listen EADDRINUSE: ...`. */
export function exitReason(info: ExitInfo): string {
  const how = exitHow(info);
  const excerpt = info.error ? undefined : stderrExcerpt(info.stderrTail);
  return excerpt ? `${how}: ${excerpt}` : how;
}

function findLast(lines: readonly string[], test: (l: string) => boolean): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (test(lines[i]!)) return lines[i];
  return undefined;
}
