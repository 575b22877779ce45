/** The log search route's parsing (pure): a query → the index's query, bad times and ranges named. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.js';
import { LogSearchParams, logSearchOf } from './logSearch.js';
import { timeOf } from './timeRange.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('a log search query', () => {
  it('searches the app’s newest 500 lines by default', () => {
    expect(logSearchOf('shop', 'prod', LogSearchParams.parse({}), NOW)).toEqual({
      app: 'shop',
      env: 'prod',
      limit: 500,
    });
  });

  it('takes text, service, replica, stream, level, trace, a range and a limit', () => {
    const q = LogSearchParams.parse({
      q: 'T-4711',
      service: 'orders',
      replica: 'orders-1',
      stream: 'stderr',
      level: 'error',
      trace: '4bf92f3577b34da6a3ce929d0e0e4736',
      since: '1h',
      until: '2026-03-10T11:30:00Z',
      limit: '20',
      after: '41',
    });
    expect(logSearchOf('shop', 'prod', q, NOW)).toEqual({
      app: 'shop',
      env: 'prod',
      text: 'T-4711',
      service: 'orders',
      replica: 'orders-1',
      stream: 'stderr',
      level: 'error',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      sinceMs: NOW - 3_600_000,
      untilMs: Date.parse('2026-03-10T11:30:00Z'),
      afterId: 41,
      limit: 20,
    });
  });

  it('reads times as ISO 8601 or a duration ago', () => {
    expect(timeOf('2026-03-10T10:00:00.500Z', NOW)).toBe(Date.parse('2026-03-10T10:00:00.500Z'));
    expect(timeOf('2026-03-10', NOW)).toBe(Date.parse('2026-03-10'));
    expect(timeOf('15m', NOW)).toBe(NOW - 900_000);
    expect(timeOf('2d', NOW)).toBe(NOW - 2 * 86_400_000);
    expect(timeOf('yesterday', NOW)).toBeUndefined();
    expect(timeOf('2026-13-45', NOW)).toBeUndefined();
  });

  it('refuses a range that ends before it starts, and a time it cannot read, naming the field', () => {
    expect(
      refusal(() => logSearchOf('shop', 'prod', LogSearchParams.parse({ since: '10m', until: '1h' }), NOW)).problems,
    ).toEqual([{ file: 'request query', path: 'until', message: '1h is not after since (10m)' }]);
    expect(refusal(() => logSearchOf('shop', 'prod', LogSearchParams.parse({ since: 'soon' }), NOW)).problems).toEqual([
      {
        file: 'request query',
        path: 'since',
        message: '"soon" is not a time (ISO 8601) or a duration ago (15m, 1h, 2d)',
      },
    ]);
  });

  it('refuses an unknown level or stream and a limit out of range', () => {
    expect(LogSearchParams.safeParse({ level: 'loud' }).success).toBe(false);
    expect(LogSearchParams.safeParse({ stream: 'stdin' }).success).toBe(false);
    expect(LogSearchParams.safeParse({ limit: '0' }).success).toBe(false);
    expect(LogSearchParams.safeParse({ limit: '10001' }).success).toBe(false);
    expect(LogSearchParams.safeParse({ after: '-1' }).success).toBe(false);
  });
});
