/** A search of the log index and what it finds (shared by the index, the API and the CLI). */

/** Levels as the index stores them, least severe first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What to look for in one app and environment's indexed lines; every field narrows. */
export interface LogSearchQuery {
  app: string;
  env: string;
  /** Text the raw line contains (case-insensitive substring, as `grep -i -F`). */
  text?: string;
  service?: string;
  replica?: string;
  stream?: 'stdout' | 'stderr';
  /** This level and the more severe ones; lines without a level are left out. */
  level?: LogLevel;
  traceId?: string;
  /** From this time, inclusive (ms since the epoch). */
  sinceMs?: number;
  /** Up to this time, exclusive (ms since the epoch). */
  untilMs?: number;
  /**
   * Only lines indexed after the line of this id, the first ones first (a follow's cursor: each
   * line is seen once, in the order it was indexed); without it, the newest lines.
   */
  afterId?: number;
  /** At most this many lines: the newest that match (the first after `afterId`). */
  limit: number;
}

/** One indexed line. */
export interface FoundLogLine {
  /** Its place in the index, growing in the order lines were indexed (`afterId` of the next search). */
  id: number;
  /** When the shim read it (ISO 8601, ms). */
  time: string;
  service: string;
  replica: string;
  stream: 'stdout' | 'stderr';
  level?: LogLevel;
  message?: string;
  traceId?: string;
  /** The line as the replica printed it. */
  line: string;
}

/**
 * A search's answer: matching lines oldest first, and whether `limit` left some out (older ones;
 * with `afterId`, later ones).
 */
export interface LogSearchResult {
  lines: FoundLogLine[];
  truncated: boolean;
}

/** How long and how much of an environment's lines the log index keeps. */
export interface LogIndexRetention {
  maxAgeMs: number;
  /** Bytes of raw line text; the oldest lines beyond it go. */
  maxBytes: number;
}

/** Seven days, 1 GiB of raw text per environment (the index takes about four times that on disk with its FTS). */
export const DEFAULT_LOG_INDEX_RETENTION: LogIndexRetention = { maxAgeMs: 7 * 24 * 3600 * 1000, maxBytes: 1024 ** 3 };
