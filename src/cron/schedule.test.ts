import { describe, expect, it } from 'vitest';
import { dueTimes, nextDue, planDue, type CronSchedule } from './schedule.js';

const t = (iso: string): number => Date.parse(iso);
const every5: CronSchedule = { schedule: '*/5 * * * *', timeZone: 'UTC', concurrency: 'forbid' };

describe('cron due times', () => {
  it('reads 5-field and @hourly-style schedules in the time zone given', () => {
    expect(
      dueTimes(every5, t('2026-03-01T10:00:00Z'), t('2026-03-01T10:12:00Z')).map((m) => new Date(m).toISOString()),
    ).toEqual(['2026-03-01T10:05:00.000Z', '2026-03-01T10:10:00.000Z']);
    // 03:00 every day in Shanghai (UTC+8) is 19:00 UTC the day before; in Berlin (UTC+1 in winter) 02:00 UTC.
    const at3 = { schedule: '0 3 * * *', timeZone: 'Asia/Shanghai' };
    expect(new Date(nextDue(at3, t('2026-01-10T12:00:00Z'))!).toISOString()).toBe('2026-01-10T19:00:00.000Z');
    expect(new Date(nextDue({ ...at3, timeZone: 'Europe/Berlin' }, t('2026-01-10T12:00:00Z'))!).toISOString()).toBe(
      '2026-01-11T02:00:00.000Z',
    );
    // Summer time in Berlin (UTC+2): the same schedule is 01:00 UTC.
    expect(new Date(nextDue({ ...at3, timeZone: 'Europe/Berlin' }, t('2026-07-10T12:00:00Z'))!).toISOString()).toBe(
      '2026-07-11T01:00:00.000Z',
    );
    expect(new Date(nextDue({ schedule: '@hourly', timeZone: 'UTC' }, t('2026-01-10T12:30:00Z'))!).toISOString()).toBe(
      '2026-01-10T13:00:00.000Z',
    );
    expect(
      new Date(nextDue({ schedule: '@daily', timeZone: 'America/New_York' }, t('2026-01-10T12:30:00Z'))!).toISOString(),
    ).toBe('2026-01-11T05:00:00.000Z');
  });
});

describe('planDue: concurrency and missed runs', () => {
  const now = t('2026-03-01T10:05:01Z');
  const cursor = t('2026-03-01T10:04:59Z');

  it('starts a due run when none runs, whatever the policy', () => {
    for (const concurrency of ['forbid', 'allow', 'replace'] as const)
      expect(planDue({ ...every5, concurrency }, cursor, now, [])).toEqual([
        { kind: 'start', dueMs: t('2026-03-01T10:05:00Z') },
      ]);
  });

  it('forbid skips, allow starts another, replace stops the running ones first', () => {
    const due = t('2026-03-01T10:05:00Z');
    expect(planDue(every5, cursor, now, ['r1'])).toEqual([{ kind: 'skip', dueMs: due }]);
    expect(planDue({ ...every5, concurrency: 'allow' }, cursor, now, ['r1'])).toEqual([{ kind: 'start', dueMs: due }]);
    expect(planDue({ ...every5, concurrency: 'replace' }, cursor, now, ['r1', 'r2'])).toEqual([
      { kind: 'replace', dueMs: due, stop: ['r1', 'r2'] },
    ]);
  });

  it('nothing between two ticks that have no due time in between', () => {
    expect(planDue(every5, t('2026-03-01T10:05:01Z'), t('2026-03-01T10:06:00Z'), [])).toEqual([]);
  });

  it('after a gap: due times past the starting deadline are missed, only the latest in time runs, once', () => {
    // Down from 10:04 to 10:20:30: 10:05 .. 10:15 missed, 10:20 is 30 s late (within 60 s) and runs.
    const actions = planDue(every5, t('2026-03-01T10:04:00Z'), t('2026-03-01T10:20:30Z'), []);
    expect(actions).toEqual([
      { kind: 'missed', dueMs: t('2026-03-01T10:05:00Z') },
      { kind: 'missed', dueMs: t('2026-03-01T10:10:00Z') },
      { kind: 'missed', dueMs: t('2026-03-01T10:15:00Z') },
      { kind: 'start', dueMs: t('2026-03-01T10:20:00Z') },
    ]);
    // 10:20 more than a minute ago: missed as well, nothing runs.
    expect(planDue(every5, t('2026-03-01T10:04:00Z'), t('2026-03-01T10:22:00Z'), []).map((a) => a.kind)).toEqual([
      'missed',
      'missed',
      'missed',
      'missed',
    ]);
  });

  it('a long gap records the latest 10 missed runs, not thousands', () => {
    const actions = planDue(every5, t('2026-03-01T00:00:00Z'), t('2026-03-03T00:02:00Z'), []);
    expect(actions).toHaveLength(10);
    expect(actions.every((a) => a.kind === 'missed')).toBe(true);
    expect(actions[9]).toEqual({ kind: 'missed', dueMs: t('2026-03-03T00:00:00Z') });
  });
});
