import { describe, expect, it } from 'vitest';
import { formatDuration } from './durations.js';

describe('formatDuration', () => {
  it('writes milliseconds the way berth.yaml writes them', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_723_004)).toBe('1h2m3s4ms');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(25)).toBe('25ms');
  });

  it('writes whole minutes and seconds alone, and compound durations in full', () => {
    expect([150, 10_000, 20_000, 90_000, 300_000].map(formatDuration)).toEqual(['150ms', '10s', '20s', '1m30s', '5m']);
    expect([60_000, 30_000, 1500].map(formatDuration)).toEqual(['1m', '30s', '1s500ms']);
  });

  it('rounds to whole milliseconds', () => {
    expect([0.4, 2.6, 999.7].map(formatDuration)).toEqual(['0s', '3ms', '1s']);
  });
});
