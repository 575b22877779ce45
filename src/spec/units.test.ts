import { describe, expect, it } from 'vitest';
import { appSchema } from './schema.js';
import { parseCpuMillis, parseDurationMs, parseMemoryBytes } from './units.js';
import { formatDuration } from '../model/durations.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5s', 1500],
    ['30', 30_000],
    [0, 0],
    [2.5, 2500],
  ] as const)('%s is %i ms', (input, ms) => {
    expect(parseDurationMs(input)).toBe(ms);
  });

  it.each(['', '10 s', '10x', 's', '-1s', '1 m', 'ten seconds'])('rejects %j', (input) => {
    expect(parseDurationMs(input)).toBeUndefined();
  });

  it('rejects negative and non-finite numbers', () => {
    expect(parseDurationMs(-1)).toBeUndefined();
    expect(parseDurationMs(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('reads back what formatDuration writes', () => {
    for (const ms of [0, 25, 1500, 90_000, 3_723_004]) expect(parseDurationMs(formatDuration(ms))).toBe(ms);
  });
});

describe('quantities', () => {
  it.each([
    ['100m', 100],
    ['0.5', 500],
    ['0.1', 100],
    ['2', 2000],
    [1, 1000],
    [0.25, 250],
  ] as const)('cpu %s is %i millicores', (input, millis) => {
    expect(parseCpuMillis(input)).toBe(millis);
  });

  it.each(['100 m', '1.5m', 'one', '-1', '1k'])('rejects cpu %j', (input) => {
    expect(parseCpuMillis(input)).toBeUndefined();
  });

  it.each([
    ['64Mi', 64 * 1024 * 1024],
    ['1Gi', 1024 ** 3],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['128M', 128_000_000],
    ['1G', 1e9],
    ['10Ki', 10_240],
    ['1k', 1000],
    ['4096', 4096],
    [1024, 1024],
  ] as const)('memory %s is %i bytes', (input, bytes) => {
    expect(parseMemoryBytes(input)).toBe(bytes);
  });

  it.each(['64mi', '1GB', 'lots', '64 Mi', '-1Mi'])('rejects memory %j', (input) => {
    expect(parseMemoryBytes(input)).toBeUndefined();
  });
});

describe('unit schemas inside the app schema', () => {
  const app = (probe: Record<string, unknown>) => ({
    name: 'a',
    services: { web: { image: 'x', health: { readiness: { tcp: {}, ...probe } } } },
  });

  it('turns durations into milliseconds', () => {
    const spec = appSchema.parse(app({ period: '1m', timeout: 2, initialDelay: '250ms' }));
    expect(spec.services.web!.health.readiness).toMatchObject({
      periodMs: 60_000,
      timeoutMs: 2000,
      initialDelayMs: 250,
    });
  });

  it('refuses a zero period, which would probe in a busy loop', () => {
    const r = appSchema.safeParse(app({ period: '0s' }));
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['services.web.health.readiness.period', 'must be longer than 0s'],
    ]);
  });
});
