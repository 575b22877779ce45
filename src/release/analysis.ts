/**
 * Analysis of a progressive release: the new track's requests over one interval (the difference of
 * two readings of the proxy's cumulative counters) checked against the spec's thresholds.
 * Latency quantiles come from the histogram the way Prometheus' histogram_quantile computes them.
 */
import type { TrackTraffic } from '../model/observation.js';
import type { AnalysisPolicy } from '../spec/strategy.js';
import { message, type Message } from '../model/messages.js';

/** The outcome of one check. */
export interface AnalysisResult {
  verdict: 'pass' | 'fail' | 'inconclusive';
  requests: number;
  errors: number;
  /** 0–1; 0 without requests. */
  errorRate: number;
  /** Estimated p99 latency of the interval; undefined without requests. */
  p99Ms?: number;
  /** One line with the numbers and, for a failure, which threshold was crossed. */
  message: string;
  /** `message` as a code with params, for the console to translate (absent on older checks). */
  messageDetail?: Message;
}

/**
 * One check as kept on the release (in its step's progress) and shown by `status`, `history` and
 * the console: the numbers, the verdict and why. `scope` says whether it judged one analysis
 * interval or the whole step (a step ends only on a step verdict of `pass`).
 */
export interface AnalysisCheck extends AnalysisResult {
  at: string;
  /** 0-based step of the rollout. */
  step: number;
  /** Percent of weighted traffic on the new track during the check. */
  weight: number;
  scope: 'interval' | 'step';
  /** Consecutive inconclusive checks of a step are kept as one: how many it stands for. */
  repeats?: number;
}

/** At most this many checks are kept per service and release (the oldest go first). */
export const MAX_CHECKS = 200;

/**
 * `checks` with `c` added: an inconclusive check that follows an inconclusive one of the same step
 * and scope replaces it (counting it in `repeats`), so a long wait for data keeps one entry.
 */
export function withCheck(checks: readonly AnalysisCheck[], c: AnalysisCheck): AnalysisCheck[] {
  const last = checks.at(-1);
  if (
    last &&
    c.verdict === 'inconclusive' &&
    last.verdict === 'inconclusive' &&
    last.step === c.step &&
    last.scope === c.scope
  )
    return [...checks.slice(0, -1), { ...c, repeats: (last.repeats ?? 1) + 1 }];
  return [...checks, c].slice(-MAX_CHECKS);
}

/** No requests: what a track that has not been measured yet counts as. */
export const NO_TRAFFIC: Omit<TrackTraffic, 'track'> = {
  requests: 0,
  errors: 0,
  latencyBucketsMs: [],
  latencyCounts: [],
  latencySumMs: 0,
};

/** Counters of `now` minus `before` (a counter that went down means the proxy restarted: `now` alone). */
export function intervalOf(before: TrackTraffic | undefined, now: TrackTraffic): TrackTraffic {
  if (!before || now.requests < before.requests || before.latencyCounts.length !== now.latencyCounts.length) return now;
  return {
    ...now,
    requests: now.requests - before.requests,
    errors: now.errors - before.errors,
    latencyCounts: now.latencyCounts.map((c, i) => c - before.latencyCounts[i]!),
    latencySumMs: now.latencySumMs - before.latencySumMs,
  };
}

/** The q-quantile (0–1) of a latency histogram, interpolated linearly inside its bucket. */
export function quantileMs(t: Pick<TrackTraffic, 'latencyBucketsMs' | 'latencyCounts'>, q: number): number | undefined {
  const total = t.latencyCounts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < t.latencyCounts.length; i++) {
    const count = t.latencyCounts[i]!;
    if (seen + count >= rank && count > 0) {
      const upper = t.latencyBucketsMs[i];
      // The overflow bucket has no upper bound: its lower bound is the best honest figure.
      if (upper === undefined) return t.latencyBucketsMs[t.latencyBucketsMs.length - 1];
      const lower = i === 0 ? 0 : t.latencyBucketsMs[i - 1]!;
      return lower + ((upper - lower) * (rank - seen)) / count;
    }
    seen += count;
  }
  return t.latencyBucketsMs[t.latencyBucketsMs.length - 1];
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * Checks one interval of the new track's traffic against `policy`. `expected` is how many requests
 * the new track should have finished given its weight and the stable track's traffic: a new version
 * that hangs, or refuses connections (its requests then land on stable), finishes far fewer.
 */
export function analyse(interval: TrackTraffic, policy: AnalysisPolicy, expected?: number): AnalysisResult {
  const { requests, errors } = interval;
  const errorRate = requests > 0 ? errors / requests : 0;
  const p99Ms = quantileMs(interval, 0.99);
  const numbers =
    p99Ms === undefined
      ? message('analysis.numbers', { requests, errors, rate: pct(errorRate) })
      : message('analysis.numbersP99', { requests, errors, rate: pct(errorRate), p99: Math.round(p99Ms) });
  const base = { requests, errors, errorRate, ...(p99Ms === undefined ? {} : { p99Ms }) };
  const verdict = (v: AnalysisResult['verdict'], m: Message): AnalysisResult => ({
    ...base,
    verdict: v,
    message: m.text,
    messageDetail: m,
  });
  if (expected !== undefined && expected >= 3 * policy.minRequests && requests < expected / 10)
    return verdict('fail', message('analysis.tooFewFinished', { requests, expected: Math.round(expected), numbers }));
  if (requests < policy.minRequests)
    return verdict('inconclusive', message('analysis.tooFew', { requests, minRequests: policy.minRequests, numbers }));
  const rateOver = errorRate > policy.maxErrorRate;
  const p99Over = policy.maxP99Ms !== undefined && p99Ms !== undefined && p99Ms > policy.maxP99Ms;
  const rate = { rate: pct(errorRate), maxRate: pct(policy.maxErrorRate) };
  const p99 = { p99: Math.round(p99Ms ?? 0), maxP99: policy.maxP99Ms ?? 0 };
  if (rateOver && p99Over)
    return verdict('fail', message('analysis.errorRateAndP99Over', { ...rate, ...p99, numbers }));
  if (rateOver) return verdict('fail', message('analysis.errorRateOver', { ...rate, numbers }));
  if (p99Over) return verdict('fail', message('analysis.p99Over', { ...p99, numbers }));
  return verdict('pass', numbers);
}
