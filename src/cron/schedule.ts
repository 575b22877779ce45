/**
 * What a cronjob's schedule asks for between two instants: which due times to run, which were
 * missed (the control plane was down past their starting deadline), and what the concurrency
 * policy makes of a due run while another still runs. Pure: the scheduler's clock is a parameter.
 */
import { Cron } from 'croner';

/** What happens when a run is due while an earlier one still runs (Kubernetes' concurrencyPolicy). */
export type Concurrency = 'forbid' | 'allow' | 'replace';

/**
 * How late a due run may still start (Kubernetes' startingDeadlineSeconds): a due time further
 * back than this when the scheduler gets to it (the control plane was down) is reported `missed`.
 */
export const STARTING_DEADLINE_MS = 60_000;

/** How far back a gap is searched for missed due times (a longer outage reports the last day's). */
export const MAX_LOOKBACK_MS = 24 * 3600_000;

/** At most this many missed due times are recorded after one gap (the latest ones). */
export const MAX_MISSED_RECORDED = 10;

/** One cronjob as the scheduler sees it. */
export interface CronSchedule {
  /** 5-field cron or `@hourly`-style. */
  schedule: string;
  /** IANA time zone the schedule is read in. */
  timeZone: string;
  concurrency: Concurrency;
}

/** One thing the scheduler does for a cronjob at a tick. */
export type CronAction =
  | { kind: 'start'; dueMs: number }
  /** Due while a run went on under `forbid`: not started, recorded as skipped. */
  | { kind: 'skip'; dueMs: number }
  /** Due while the control plane could not start it in time: recorded, not run. */
  | { kind: 'missed'; dueMs: number }
  /** Due under `replace`: the running runs stop, then a new one starts. */
  | { kind: 'replace'; dueMs: number; stop: string[] };

/** The due times of `schedule` in (fromMs, toMs], oldest first, at most `limit` (the latest ones). */
export function dueTimes(
  s: Pick<CronSchedule, 'schedule' | 'timeZone'>,
  fromMs: number,
  toMs: number,
  limit = 1000,
): number[] {
  const cron = new Cron(s.schedule, { timezone: s.timeZone, paused: true });
  const out: number[] = [];
  let at = new Date(fromMs);
  for (;;) {
    const next = cron.nextRun(at);
    if (!next || next.getTime() > toMs) break;
    out.push(next.getTime());
    if (out.length > limit) out.shift();
    at = next;
  }
  return out;
}

/** The next due time of `schedule` after `afterMs`, if any. */
export function nextDue(s: Pick<CronSchedule, 'schedule' | 'timeZone'>, afterMs: number): number | undefined {
  return new Cron(s.schedule, { timezone: s.timeZone, paused: true }).nextRun(new Date(afterMs))?.getTime();
}

/**
 * The actions for due times in (cursorMs, nowMs] with `running` runs going on: due times older than
 * the starting deadline are missed (the latest MAX_MISSED_RECORDED of them recorded); of the others
 * only the latest runs (a scheduler that falls behind never runs a burst), earlier ones are missed too.
 * A gap longer than MAX_LOOKBACK_MS is searched over its last day only.
 */
export function planDue(
  s: CronSchedule,
  cursorMs: number,
  nowMs: number,
  running: readonly string[],
  startingDeadlineMs = STARTING_DEADLINE_MS,
): CronAction[] {
  const due = dueTimes(s, Math.max(cursorMs, nowMs - MAX_LOOKBACK_MS), nowMs, MAX_MISSED_RECORDED + 1);
  if (due.length === 0) return [];
  const latest = due[due.length - 1]!;
  const inTime = nowMs - latest <= startingDeadlineMs;
  const missed = (inTime ? due.slice(0, -1) : due).slice(-MAX_MISSED_RECORDED);
  const actions: CronAction[] = missed.map((dueMs) => ({ kind: 'missed', dueMs }));
  if (!inTime) return actions;
  if (running.length === 0 || s.concurrency === 'allow') actions.push({ kind: 'start', dueMs: latest });
  else if (s.concurrency === 'forbid') actions.push({ kind: 'skip', dueMs: latest });
  else actions.push({ kind: 'replace', dueMs: latest, stop: [...running] });
  return actions;
}
