/** The jobs route's mapping (pure): a job's or cronjob's status at a given time, with its runs. */
import { describe, expect, it } from 'vitest';
import { jobStatusOf } from './jobs.js';

const NOON_UTC = Date.parse('2026-03-10T12:00:00Z');

describe('a job’s status', () => {
  it('is its backoff limit and runs for a job run by deploys', () => {
    expect(jobStatusOf({ job: 'migrate', run: { kind: 'job', backoffLimit: 2 } }, 'UTC', NOON_UTC, [])).toEqual({
      job: 'migrate',
      kind: 'job',
      backoffLimit: 2,
      runs: [],
    });
  });

  it('gives a cronjob its schedule, time zone and next due time in that zone', () => {
    const cron = {
      job: 'report',
      run: { kind: 'cronjob' as const, schedule: '0 3 * * *', concurrency: 'forbid' as const, backoffLimit: 0 },
    };
    expect(jobStatusOf(cron, 'UTC', NOON_UTC, [])).toEqual({
      job: 'report',
      kind: 'cronjob',
      schedule: '0 3 * * *',
      timeZone: 'UTC',
      concurrency: 'forbid',
      backoffLimit: 0,
      nextDueAt: '2026-03-11T03:00:00.000Z',
      runs: [],
    });
    // 03:00 in Berlin (UTC+1 in March before the switch) is 02:00 UTC.
    expect(jobStatusOf(cron, 'Europe/Berlin', NOON_UTC, []).nextDueAt).toBe('2026-03-11T02:00:00.000Z');
  });
});
