/**
 * Whether a cronjob's `schedule` in berth.yaml is one croner accepts. The schedule's meaning (due
 * times, missed runs) is the scheduler's, src/cron/schedule.ts.
 */
import { Cron } from 'croner';

/** Why croner refuses `schedule` (a field out of range, `99 * * * *`), or undefined when it is valid. */
export function scheduleProblem(schedule: string): string | undefined {
  try {
    new Cron(schedule, { paused: true });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
