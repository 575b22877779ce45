import { describe, expect, it } from 'vitest';
import { isoMicros, recordTimeMs } from './logTime.js';

const SECOND = Date.parse('2026-12-06T20:24:54Z');

describe('log record times', () => {
  it('reads 0 to 9 fraction digits, keeping the microseconds Date.parse drops', () => {
    expect(recordTimeMs('2026-12-06T20:24:54Z')).toBe(SECOND);
    expect(recordTimeMs('2026-12-06T20:24:54.1Z')).toBe(SECOND + 100);
    expect(recordTimeMs('2026-12-06T20:24:54.123Z')).toBe(SECOND + 123);
    expect(recordTimeMs('2026-12-06T20:24:54.123456Z')).toBeCloseTo(SECOND + 123.456, 3);
    expect(recordTimeMs('2026-12-06T20:24:54.123456789Z')).toBe(recordTimeMs('2026-12-06T20:24:54.123456Z'));
    expect(Date.parse('2026-12-06T20:24:54.123456Z')).toBe(SECOND + 123); // what the readers did before
  });

  it('orders 3- and 6-digit times by what they say, where their texts sort wrongly', () => {
    const old = '2026-12-06T20:24:54.123Z';
    const later = '2026-12-06T20:24:54.123001Z';
    const earlier = '2026-12-06T20:24:54.122999Z';
    expect(later < old).toBe(true); // the text compare a reader must not use
    expect(recordTimeMs(later)).toBeGreaterThan(recordTimeMs(old));
    expect(recordTimeMs(earlier)).toBeLessThan(recordTimeMs(old));
  });

  it('answers NaN for text that is no time, and reads other ISO forms to the millisecond', () => {
    expect(recordTimeMs('yesterday')).toBeNaN();
    expect(recordTimeMs('2026-13-06T20:24:54.123456Z')).toBeNaN();
    expect(recordTimeMs('2026-12-06T21:24:54.500+01:00')).toBe(SECOND + 500);
  });

  it('writes the microsecond ISO form, and reads back what it wrote', () => {
    expect(isoMicros(SECOND)).toBe('2026-12-06T20:24:54.000000Z');
    expect(isoMicros(SECOND + 123)).toBe('2026-12-06T20:24:54.123000Z');
    expect(isoMicros(SECOND + 999.9999)).toBe('2026-12-06T20:24:55.000000Z');
    for (const text of ['2026-12-06T20:24:54.000001Z', '2026-12-06T20:24:54.123456Z', '2026-12-06T23:59:59.999999Z'])
      expect(isoMicros(recordTimeMs(text))).toBe(text);
  });
});
