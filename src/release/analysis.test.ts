import { describe, expect, it } from 'vitest';
import type { TrackTraffic } from '../model/observation.js';
import { analyse, intervalOf, MAX_CHECKS, quantileMs, withCheck, type AnalysisCheck } from './analysis.js';

const BUCKETS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000];
const traffic = (requests: number, errors: number, counts: number[]): TrackTraffic => ({
  track: 'canary',
  requests,
  errors,
  latencyBucketsMs: BUCKETS,
  latencyCounts: [...counts, ...Array<number>(BUCKETS.length + 1 - counts.length).fill(0)],
  latencySumMs: 0,
});
const policy = { intervalMs: 1000, minRequests: 20, onNoData: 'wait' as const, maxErrorRate: 0.05 };

describe('analysis', () => {
  it('interpolates quantiles inside a bucket, like histogram_quantile', () => {
    // 100 requests: 50 in (0,1], 50 in (1,2.5] → p50 = 1, p99 = 1 + 1.5 × 49/50.
    const t = traffic(100, 0, [50, 50]);
    expect(quantileMs(t, 0.5)).toBe(1);
    expect(quantileMs(t, 0.99)).toBeCloseTo(2.47, 2);
    expect(quantileMs(traffic(0, 0, []), 0.99)).toBeUndefined();
    // Everything in the overflow bucket: the last bound is the honest answer.
    const slow = traffic(10, 0, [...Array<number>(BUCKETS.length).fill(0), 10]);
    expect(quantileMs(slow, 0.99)).toBe(1000);
  });

  it('takes the difference of two readings, and a reset counter as a fresh start', () => {
    const a = traffic(100, 5, [100]);
    const b = traffic(160, 35, [130, 30]);
    expect(intervalOf(a, b)).toMatchObject({
      requests: 60,
      errors: 30,
      latencyCounts: [30, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    });
    expect(intervalOf(b, a)).toBe(a);
  });

  it('fails on error rate or p99, passes below, and gives no verdict on too few requests', () => {
    const bad = analyse(traffic(50, 24, [50]), policy);
    expect(bad.verdict).toBe('fail');
    expect(bad.message).toBe('error rate 48.0% > 5.0% (50 requests, 24 errors (48.0%), p99 1 ms)');
    expect(analyse(traffic(50, 2, [50]), policy).verdict).toBe('pass');
    const slow = analyse(traffic(50, 0, [0, 0, 0, 0, 0, 0, 0, 50]), { ...policy, maxP99Ms: 200 });
    expect(slow).toMatchObject({ verdict: 'fail' });
    expect(slow.message).toMatch(/^p99 249 ms > 200 ms/);
    const few = analyse(traffic(3, 3, [3]), policy);
    expect(few.verdict).toBe('inconclusive');
    expect(few.message).toBe('3 requests < minRequests 20 (3 requests, 3 errors (100.0%), p99 1 ms): no verdict');
  });

  it('fails a new version that finishes far fewer requests than its weight sends it (hung or refusing)', () => {
    const hung = analyse(traffic(2, 0, [2]), policy, 200);
    expect(hung.verdict).toBe('fail');
    expect(hung.message).toMatch(/^the new version finished 2 requests where its weight asks for about 200/);
    // Little traffic overall: no verdict rather than a false alarm.
    expect(analyse(traffic(2, 0, [2]), policy, 40).verdict).toBe('inconclusive');
  });

  it('keeps every check, a long wait for requests as one entry that counts its repeats', () => {
    const at = (step: number, verdict: AnalysisCheck['verdict'], requests = 0): AnalysisCheck => ({
      ...analyse(traffic(requests, 0, [requests]), policy),
      verdict,
      at: '2026-01-01T00:00:00Z',
      step,
      weight: 20,
      scope: 'step',
    });
    let checks: AnalysisCheck[] = [at(0, 'pass', 30)];
    for (let i = 0; i < 5; i++) checks = withCheck(checks, at(1, 'inconclusive', i));
    expect(checks).toHaveLength(2);
    expect(checks[1]).toMatchObject({ step: 1, requests: 4, repeats: 5 });
    checks = withCheck(checks, at(1, 'fail', 30));
    checks = withCheck(checks, at(2, 'inconclusive'));
    expect(checks.map((c) => c.verdict)).toEqual(['pass', 'inconclusive', 'fail', 'inconclusive']);
    for (let i = 0; i < MAX_CHECKS + 10; i++) checks = withCheck(checks, at(3, 'pass', 30));
    expect(checks).toHaveLength(MAX_CHECKS);
  });
});
