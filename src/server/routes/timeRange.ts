/**
 * A time range as a query gives it (`since`, `until`: ISO 8601 or a duration ago), each bad field
 * named: for routes that filter by time (the alert history; the log search reads the same shape).
 */
import type { Problem } from '../../errors.js';
import { parseDurationMs } from '../../spec/units.js';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A time as a query or flag gives it: ISO 8601, or a duration before `nowMs` ("15m", "1h", "2d"); undefined when neither. */
export function timeOf(text: string, nowMs: number): number | undefined {
  const t = text.trim();
  if (ISO_TIME.test(t)) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const days = /^(\d+)d$/.exec(t);
  const ago = days ? Number(days[1]) * 86_400_000 : parseDurationMs(t);
  return ago === undefined ? undefined : nowMs - ago;
}

/** Epoch ms of `since` and `until`, and a problem for each that is not a time or a range that ends before it starts. */
export function timeRangeOf(
  q: { since?: string | undefined; until?: string | undefined },
  nowMs: number,
): { sinceMs?: number; untilMs?: number; problems: Problem[] } {
  const problems: Problem[] = [];
  const time = (field: 'since' | 'until'): number | undefined => {
    const v = q[field];
    if (v === undefined) return undefined;
    const ms = timeOf(v, nowMs);
    if (ms === undefined)
      problems.push({
        file: 'request query',
        path: field,
        message: `"${v}" is not a time (ISO 8601) or a duration ago (15m, 1h, 2d)`,
      });
    return ms;
  };
  const sinceMs = time('since');
  const untilMs = time('until');
  if (sinceMs !== undefined && untilMs !== undefined && untilMs <= sinceMs)
    problems.push({ file: 'request query', path: 'until', message: `${q.until} is not after since (${q.since})` });
  return { ...(sinceMs !== undefined ? { sinceMs } : {}), ...(untilMs !== undefined ? { untilMs } : {}), problems };
}
