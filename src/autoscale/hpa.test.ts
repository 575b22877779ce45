import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCALE_UP,
  DEFAULT_TOLERANCE,
  Hpa,
  PolicyType,
  SampleState,
  defaultScaleDown,
  replicasForMetric,
  type HpaSpec,
  type MetricInput,
  type ReplicaSample,
} from './hpa.js';

const ready = (...values: (number | undefined)[]): ReplicaSample[] =>
  values.map((value) => (value === undefined ? { state: SampleState.ready } : { state: SampleState.ready, value }));
const unready = (n: number): ReplicaSample[] => Array.from({ length: n }, () => ({ state: SampleState.unready }));
const ignored = (n: number): ReplicaSample[] =>
  Array.from({ length: n }, () => ({ state: SampleState.ignored, value: 999 }));

const average = (target: number, replicas: ReplicaSample[], name = 'requestsPerSecond'): MetricInput => ({
  name,
  kind: 'average',
  target,
  replicas,
});
const cpu = (target: number, replicas: ReplicaSample[]): MetricInput => ({
  name: 'cpu',
  kind: 'utilization',
  target,
  replicas,
});
/** `n` ready replicas each reading `value`. */
const each = (n: number, value: number): ReplicaSample[] => ready(...Array.from({ length: n }, () => value));

function spec(over: Partial<HpaSpec> = {}): HpaSpec {
  return {
    minReplicas: 1,
    maxReplicas: 100,
    tolerance: DEFAULT_TOLERANCE,
    behavior: { scaleUp: DEFAULT_SCALE_UP, scaleDown: defaultScaleDown(0) },
    ...over,
  };
}

/** An Hpa on a clock the test moves. */
function clocked(s: HpaSpec) {
  const clock = { ms: 1_000_000 };
  const hpa = new Hpa(s, { now: () => clock.ms });
  return {
    hpa,
    clock,
    /** recommend, then act on it as the autoscaler does. */
    step(current: number, metrics: MetricInput[]) {
      const r = hpa.recommend(current, metrics);
      hpa.scaled(current, r.desiredReplicas);
      return r;
    },
  };
}

describe('replicasForMetric (the ratio rule)', () => {
  it('doubles the replicas when the metric is twice the target (Kubernetes docs: 200m vs 100m)', () => {
    expect(replicasForMetric(3, average(100, each(3, 200)), 0.1).replicas).toBe(6);
  });

  it('halves them when it is half the target (Kubernetes docs: 50m vs 100m)', () => {
    expect(replicasForMetric(4, average(100, each(4, 50)), 0.1).replicas).toBe(2);
  });

  it('rounds up: desired = ceil(current × metric / target)', () => {
    // mean 35 / 20 = 1.75; 3 × 1.75 = 5.25 → 6
    expect(replicasForMetric(3, average(20, ready(30, 35, 40)), 0.1).replicas).toBe(6);
  });

  it('changes nothing within the tolerance (default 0.1), on both sides and at its edges', () => {
    expect(replicasForMetric(4, average(100, each(4, 109)), 0.1).replicas).toBe(4);
    expect(replicasForMetric(4, average(100, each(4, 91)), 0.1).replicas).toBe(4);
    expect(replicasForMetric(4, average(100, each(4, 110)), 0.1).replicas).toBe(4);
    expect(replicasForMetric(4, average(100, each(4, 90)), 0.1).replicas).toBe(4);
    expect(replicasForMetric(4, average(100, each(4, 111)), 0.1).replicas).toBe(5);
    expect(replicasForMetric(4, average(100, each(4, 89)), 0.1).replicas).toBe(4); // ceil(3.56) = 4: outside, still 4
    expect(replicasForMetric(4, average(100, each(4, 74)), 0.1).replicas).toBe(3);
    // a wider tolerance absorbs a bigger deviation
    expect(replicasForMetric(4, average(100, each(4, 125)), 0.3).replicas).toBe(4);
  });

  it('keeps CPU utilization a whole percent before the ratio, as Kubernetes does', () => {
    // mean 110.9% truncates to 110 → ratio 1.1, within tolerance; 111.0 would not be
    expect(replicasForMetric(2, cpu(100, ready(110.9, 110.9)), 0.1)).toEqual({ replicas: 2, usage: 110 });
    expect(replicasForMetric(2, cpu(100, ready(111, 111)), 0.1).replicas).toBe(3);
  });

  it('leaves terminating replicas out entirely', () => {
    expect(replicasForMetric(2, average(10, [...each(2, 20), ...ignored(3)]), 0.1).replicas).toBe(4);
  });

  it('on a scale-up counts unready replicas as 0 (a starting replica will take load)', () => {
    // 1 ready at 260% of target 100 → alone 3; with 2 unready at 0: mean 86.7 → ratio 0.87 flips direction → keep 3
    expect(replicasForMetric(3, cpu(100, [...ready(260), ...unready(2)]), 0.1).replicas).toBe(3);
    // 1 ready at 130%, 1 unready, target 50: raw 2.6 → with the unready at 0, 65/50 = 1.3 → ceil(1.3 × 2) = 3
    expect(replicasForMetric(2, cpu(50, [...ready(130), ...unready(1)]), 0.1).replicas).toBe(3);
  });

  it('ignores unready replicas on a scale-down', () => {
    // 2 ready at 25 of 100 → ceil(0.25 × 2) = 1 whatever the 2 starting ones do
    expect(replicasForMetric(4, average(100, [...each(2, 25), ...unready(2)]), 0.1).replicas).toBe(1);
  });

  it('on a scale-down counts missing readings as 100% of the request (CPU) or the target (other metrics)', () => {
    // 4 replicas, target 50%, 3 read 40%, 1 has no reading: 40/50 = 0.8 would scale down to 3, but with
    // the missing one at 100% the mean is 55 → 1.1, within tolerance → stays 4
    expect(replicasForMetric(4, cpu(50, [...ready(40, 40, 40), ...ready(undefined)]), 0.1).replicas).toBe(4);
    expect(replicasForMetric(3, cpu(50, ready(40, 40, 40)), 0.1).replicas).toBe(3);
    // plain metric: missing counts as the target: (10+10+10+100)/4 = 32.5 of 100 → ceil(0.325 × 4) = 2
    expect(replicasForMetric(4, average(100, [...each(3, 10), ...ready(undefined)]), 0.1).replicas).toBe(2);
  });

  it('on a scale-up counts missing readings as 0', () => {
    // 1 reads 300 of target 100, 1 missing: (300 + 0)/2 = 150 → ceil(1.5 × 2) = 3
    expect(replicasForMetric(2, average(100, [...ready(300), ...ready(undefined)]), 0.1).replicas).toBe(3);
  });

  it('keeps the count when the conservative assumptions would reverse the direction', () => {
    // raw ratio 1.5 says up; the missing one at 0 makes the mean 75 (< target) → keep current
    expect(replicasForMetric(2, average(100, [...ready(150), ...ready(undefined)]), 0.1).replicas).toBe(2);
  });

  it('fails without any reading from a ready replica', () => {
    expect(() => replicasForMetric(2, average(100, unready(2)), 0.1)).toThrow(/no requestsPerSecond readings/);
    expect(() => replicasForMetric(2, average(100, ready(undefined, undefined)), 0.1)).toThrow(/readings/);
  });
});

describe('Hpa.recommend', () => {
  it('takes the largest proposal when there are several metrics', () => {
    const { hpa } = clocked(spec());
    const r = hpa.recommend(2, [cpu(50, each(2, 100)), average(10, each(2, 30))]);
    expect(r.metrics.map((m) => [m.name, m.proposal])).toEqual([
      ['cpu', 4],
      ['requestsPerSecond', 6],
    ]);
    expect(r).toMatchObject({ proposal: 6, desiredReplicas: 6, reason: 'requestsPerSecond above target' });
  });

  it('scales up on the metrics it can read, but never down while one is missing (Kubernetes docs)', () => {
    const { hpa } = clocked(spec());
    const broken = { ...average(10, []), error: 'no rate yet' };
    expect(hpa.recommend(2, [cpu(50, each(2, 100)), broken])).toMatchObject({ desiredReplicas: 4, proposal: 4 });
    const down = hpa.recommend(4, [cpu(50, each(4, 5)), broken]);
    expect(down).toMatchObject({ desiredReplicas: 4, condition: 'FailedGetMetrics' });
    expect(down.reason).toContain('requestsPerSecond: no rate yet');
    expect(hpa.recommend(4, [broken]).desiredReplicas).toBe(4);
  });

  it('clamps to max and min', () => {
    const { hpa } = clocked(spec({ minReplicas: 2, maxReplicas: 5 }));
    expect(hpa.recommend(4, [average(10, each(4, 100))])).toMatchObject({
      proposal: 40,
      desiredReplicas: 5,
      condition: 'TooManyReplicas',
    });
    expect(hpa.recommend(4, [average(10, each(4, 1))])).toMatchObject({
      proposal: 1,
      desiredReplicas: 2,
      condition: 'TooFewReplicas',
    });
  });

  it('brings a count outside [min, max] back at once, whatever the metrics', () => {
    const { hpa } = clocked(spec({ minReplicas: 2, maxReplicas: 5 }));
    expect(hpa.recommend(9, [average(10, each(9, 100))])).toMatchObject({
      desiredReplicas: 5,
      condition: 'AboveMaxReplicas',
    });
    expect(hpa.recommend(1, [average(10, each(1, 0))])).toMatchObject({
      desiredReplicas: 2,
      condition: 'BelowMinReplicas',
    });
  });

  it('leaves a target scaled to 0 alone', () => {
    const { hpa } = clocked(spec());
    expect(hpa.recommend(0, [average(10, [])])).toMatchObject({ desiredReplicas: 0, condition: 'ScalingDisabled' });
  });
});

describe('scale-up rate (default: 4 replicas or 100% per 15 s, whichever is more)', () => {
  it('adds at most max(current × 2, current + 4) per period', () => {
    const { hpa } = clocked(spec());
    const hot = (n: number) => [average(10, each(n, 1000))];
    expect(hpa.recommend(1, hot(1))).toMatchObject({ desiredReplicas: 5, condition: 'ScaleUpLimit' });
    expect(hpa.recommend(3, hot(3))).toMatchObject({ desiredReplicas: 7 });
    expect(hpa.recommend(10, hot(10))).toMatchObject({ desiredReplicas: 20 });
  });

  it('counts the changes already made in the period, and allows more once it has passed', () => {
    const { step, clock } = clocked(spec());
    const hot = (n: number) => [average(10, each(n, 1000))];
    expect(step(1, hot(1)).desiredReplicas).toBe(5);
    clock.ms += 5_000;
    // the period began at 1: max(1 + 4, 1 × 2) = 5 → no more yet
    expect(step(5, hot(5))).toMatchObject({ desiredReplicas: 5, condition: 'ScaleUpLimit' });
    clock.ms += 10_001;
    expect(step(5, hot(5)).desiredReplicas).toBe(10);
    clock.ms += 15_001;
    expect(step(10, hot(10)).desiredReplicas).toBe(20);
  });

  it('scales up at once: no stabilization window upwards by default', () => {
    const { step, clock } = clocked(spec());
    expect(step(2, [average(10, each(2, 5))]).desiredReplicas).toBe(1);
    clock.ms += 1000;
    expect(step(1, [average(10, each(1, 30))]).desiredReplicas).toBe(3);
  });
});

describe('scale-down stabilization (default window 300 s)', () => {
  const s = spec({ behavior: { scaleUp: DEFAULT_SCALE_UP, scaleDown: defaultScaleDown(300_000) } });

  it('does not scale down right after starting: the first recommendation is the current count', () => {
    const { step, clock } = clocked(s);
    expect(step(4, [average(10, each(4, 1))])).toMatchObject({
      proposal: 1,
      desiredReplicas: 4,
      condition: 'ScaleDownStabilized',
    });
    clock.ms += 300_001;
    expect(step(4, [average(10, each(4, 1))]).desiredReplicas).toBe(1);
  });

  it('takes the highest recommendation of the window, then follows it down step by step', () => {
    const { step, clock } = clocked(s);
    const load = (n: number, perReplica: number) => [average(10, each(n, perReplica))];
    expect(step(4, load(4, 20)).desiredReplicas).toBe(8); // t = 0: 80 rps → 8
    clock.ms += 60_000;
    expect(step(8, load(8, 5))).toMatchObject({ proposal: 4, desiredReplicas: 8 }); // t = 60: 40 rps → 4, held
    clock.ms += 60_000;
    expect(step(8, load(8, 2.5)).desiredReplicas).toBe(8); // t = 120: 20 rps → 2, held
    clock.ms += 180_001;
    // t = 300.001: the 8 of t = 0 left the window; the highest left is the 4 of t = 60
    expect(step(8, load(8, 2.5))).toMatchObject({ proposal: 2, desiredReplicas: 4, condition: 'ScaleDownStabilized' });
    clock.ms += 60_000;
    expect(step(4, load(4, 5)).desiredReplicas).toBe(2); // t = 360: only 2s in the window
  });

  it('a short dip does not scale down (the flapping the window prevents)', () => {
    const { step, clock } = clocked(s);
    const counts: number[] = [];
    let n = 4;
    for (let i = 0; i < 40; i++) {
      clock.ms += 15_000;
      // 10 s of every minute the load halves
      const perReplica = i % 4 === 0 ? 5 : 10;
      n = step(n, [average(10, each(n, perReplica))]).desiredReplicas;
      counts.push(n);
    }
    expect(new Set(counts)).toEqual(new Set([4]));
  });

  it('a window of 0 scales down at once', () => {
    const { step } = clocked(spec());
    expect(step(8, [average(10, each(8, 2.5))]).desiredReplicas).toBe(2);
  });
});

describe('scale-down policies (Kubernetes docs example: 4 Pods or 10% per 60 s)', () => {
  const docs = spec({
    minReplicas: 10,
    behavior: {
      scaleUp: DEFAULT_SCALE_UP,
      scaleDown: {
        stabilizationWindowMs: 0,
        selectPolicy: 'Max',
        policies: [
          { type: PolicyType.pods, value: 4, periodMs: 60_000 },
          { type: PolicyType.percent, value: 10, periodMs: 60_000 },
        ],
      },
    },
  });

  it('80 replicas going to 10: 8 removed, then 8 (10% of 72 rounded up), then 4 a time below 40', () => {
    const { step, clock } = clocked(docs);
    const idle = (n: number) => [average(10, each(n, 0.1))];
    const seen: number[] = [];
    let n = 80;
    for (let i = 0; i < 12; i++) {
      n = step(n, idle(n)).desiredReplicas;
      seen.push(n);
      clock.ms += 60_001;
    }
    expect(seen).toEqual([72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16]);
  });

  it('allows no second step inside the period', () => {
    const { step, clock } = clocked(docs);
    expect(step(80, [average(10, each(80, 0.1))]).desiredReplicas).toBe(72);
    clock.ms += 30_000;
    expect(step(72, [average(10, each(72, 0.1))])).toMatchObject({ desiredReplicas: 72, condition: 'ScaleDownLimit' });
  });

  it('selectPolicy Min takes the smaller change, Disabled none', () => {
    const min = clocked({
      ...docs,
      behavior: { ...docs.behavior, scaleDown: { ...docs.behavior.scaleDown, selectPolicy: 'Min' } },
    });
    expect(min.step(80, [average(10, each(80, 0.1))]).desiredReplicas).toBe(76);
    const off = clocked({
      ...docs,
      behavior: { ...docs.behavior, scaleDown: { ...docs.behavior.scaleDown, selectPolicy: 'Disabled' } },
    });
    expect(off.step(80, [average(10, each(80, 0.1))]).desiredReplicas).toBe(80);
  });
});
