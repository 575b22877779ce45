/**
 * The Kubernetes HorizontalPodAutoscaler algorithm (pkg/controller/podautoscaler: horizontal.go and
 * replica_calculator.go) as a pure, clock-injected class, so one machine scales like a cluster does:
 * ratio = metric / target; within the tolerance nothing changes; desired = ceil(ready × ratio) with
 * missing and not-ready replicas counted conservatively; the max over metrics; scale-down stabilized
 * over a window; scale-up and scale-down rate-limited by policies per period; clamped to [min, max].
 * One instance per scaled target (a track of a service): it remembers recommendations and scale events.
 */

import { message } from '../model/messages.js';
import type { Message } from '../model/messages.js';

/** How a replica counts for a metric (Kubernetes' groupPods). */
export const SampleState = {
  /** Serving: its value counts; without a value it is a *missing* sample. */
  ready: 'ready',
  /** Starting or not ready: left out, except as 0 when the metric asks for a scale-up. */
  unready: 'unready',
  /** Terminating or exited: not counted at all. */
  ignored: 'ignored',
} as const;
export type SampleState = (typeof SampleState)[keyof typeof SampleState];

/** One replica's reading of one metric. */
export interface ReplicaSample {
  state: SampleState;
  /** Undefined when no reading exists yet (a ready replica without one is "missing"). */
  value?: number;
}

/** What a metric measures: `utilization` is percent of the request (Resource metrics), `average` a plain per-replica value (Pods metrics). */
export type MetricKind = 'utilization' | 'average';

/** The readings of one metric over the target's replicas, and its per-replica target. */
export interface MetricInput {
  name: string;
  kind: MetricKind;
  /** Per-replica target: percent of the request for `utilization`, the value itself for `average`. */
  target: number;
  replicas: ReplicaSample[];
  /** Why the metric cannot be read this time (it then counts as invalid, like a failed metrics API call). */
  error?: string;
}

/** What one metric says. */
export interface MetricResult {
  name: string;
  target: number;
  /** The current per-replica value the ratio was taken from (utilization truncated to a whole percent, as Kubernetes does). */
  current?: number;
  /** Replicas this metric alone asks for. */
  proposal?: number;
  error?: string;
}

export const PolicyType = { pods: 'Pods', percent: 'Percent' } as const;
export type PolicyType = (typeof PolicyType)[keyof typeof PolicyType];

/** At most `value` replicas (Pods) or `value` percent (Percent) of change per `periodMs`. */
export interface ScalingPolicy {
  type: PolicyType;
  value: number;
  periodMs: number;
}

/** `Max` picks the policy allowing the biggest change, `Min` the smallest; `Disabled` forbids the direction. */
export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

/** One direction of an HPA's `behavior`. */
export interface ScalingRules {
  stabilizationWindowMs: number;
  selectPolicy: SelectPolicy;
  policies: ScalingPolicy[];
}

export interface HpaBehavior {
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

/** Kubernetes' default scale-up: no stabilization, 4 replicas or 100% per 15 s, whichever is more. */
export const DEFAULT_SCALE_UP: ScalingRules = {
  stabilizationWindowMs: 0,
  selectPolicy: 'Max',
  policies: [
    { type: PolicyType.pods, value: 4, periodMs: 15_000 },
    { type: PolicyType.percent, value: 100, periodMs: 15_000 },
  ],
};

/** Kubernetes' default scale-down: the highest recommendation of the window (300 s), then up to 100% per 15 s. */
export function defaultScaleDown(stabilizationWindowMs = 300_000): ScalingRules {
  return {
    stabilizationWindowMs,
    selectPolicy: 'Max',
    policies: [{ type: PolicyType.percent, value: 100, periodMs: 15_000 }],
  };
}

/** Kubernetes' default tolerance: ratios within 10% of 1.0 change nothing. */
export const DEFAULT_TOLERANCE = 0.1;

/** The HPA's spec: bounds, tolerance and behavior. */
export interface HpaSpec {
  minReplicas: number;
  maxReplicas: number;
  tolerance: number;
  behavior: HpaBehavior;
}

/** Why the desired count is what it is (Kubernetes' condition reasons, plus Berth's own for the early exits). */
export type HpaCondition =
  | 'DesiredWithinRange'
  | 'ScaleUpLimit'
  | 'TooManyReplicas'
  | 'ScaleDownLimit'
  | 'TooFewReplicas'
  | 'ScaleDownStabilized'
  | 'ScaleUpStabilized'
  | 'AboveMaxReplicas'
  | 'BelowMinReplicas'
  | 'ScalingDisabled'
  | 'FailedGetMetrics';

/** The outcome of one reconcile. */
export interface Recommendation {
  currentReplicas: number;
  desiredReplicas: number;
  /** The max over the metrics' proposals, before stabilization and limits (absent when the metrics did not decide). */
  proposal?: number;
  metrics: MetricResult[];
  condition: HpaCondition;
  /** Human-readable reason, e.g. `requestsPerSecond above target` or `all metrics below target`. */
  reason: string;
  /** The reason as a code and params, for the console to translate. */
  reasonMessage: Message;
}

interface Timestamped {
  value: number;
  atMs: number;
}

/** Rounds up, ignoring float noise such as 0.7 * 3 = 2.0999999999999996 (Go's math.Ceil would not). */
function ceil(n: number): number {
  return Math.ceil(n - 1e-9);
}

/** Whether a usage ratio is close enough to 1.0 to change nothing (Kubernetes' Tolerances.isWithin). */
export function withinTolerance(ratio: number, tolerance: number): boolean {
  return 1 - tolerance <= ratio && ratio <= 1 + tolerance;
}

function usage(kind: MetricKind, values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  // Kubernetes keeps utilization as a whole percent (integer division) before dividing by the target.
  return kind === 'utilization' ? Math.trunc(mean) : mean;
}

/**
 * Replicas one metric asks for, given `current` (Kubernetes' GetResourceReplicas / calcPlainMetricReplicas):
 * unready replicas count as 0 only on a scale-up; ready replicas without a reading count as 0 on a
 * scale-up and as the target (100% of the request for utilization) on a scale-down; a change that
 * these assumptions would reverse or bring within tolerance keeps `current`. Throws without any reading.
 */
export function replicasForMetric(
  current: number,
  m: MetricInput,
  tolerance: number,
): { replicas: number; usage: number } {
  const values: number[] = [];
  let unready = 0;
  let missing = 0;
  for (const r of m.replicas) {
    if (r.state === SampleState.ignored) continue;
    if (r.state === SampleState.unready) unready++;
    else if (r.value === undefined || !Number.isFinite(r.value)) missing++;
    else values.push(r.value);
  }
  if (values.length === 0) throw new Error(`no ${m.name} readings from ready replicas`);
  const current_ = usage(m.kind, values);
  const ratio = current_ / m.target;
  const scaleUpWithUnready = unready > 0 && ratio > 1;
  if (!scaleUpWithUnready && missing === 0) {
    if (withinTolerance(ratio, tolerance)) return { replicas: current, usage: current_ };
    return { replicas: ceil(ratio * values.length), usage: current_ };
  }
  const filled = [...values];
  if (missing > 0) {
    const fallback = m.kind === 'utilization' ? Math.max(100, m.target) : m.target;
    if (ratio < 1) for (let i = 0; i < missing; i++) filled.push(fallback);
    else if (ratio > 1) for (let i = 0; i < missing; i++) filled.push(0);
  }
  if (scaleUpWithUnready) for (let i = 0; i < unready; i++) filled.push(0);
  const newRatio = usage(m.kind, filled) / m.target;
  if (withinTolerance(newRatio, tolerance) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1))
    return { replicas: current, usage: current_ };
  const proposed = ceil(newRatio * filled.length);
  if ((newRatio < 1 && proposed > current) || (newRatio > 1 && proposed < current))
    return { replicas: current, usage: current_ };
  return { replicas: proposed, usage: current_ };
}

/** The autoscaler of one target: call `recommend` every sync period, then `scaled` after acting on it. */
export class Hpa {
  private spec: HpaSpec;
  private readonly now: () => number;
  private recommendations: Timestamped[] = [];
  private scaleUpEvents: Timestamped[] = [];
  private scaleDownEvents: Timestamped[] = [];

  constructor(spec: HpaSpec, opts: { now: () => number }) {
    this.spec = spec;
    this.now = opts.now;
  }

  /** Replaces the spec (a new release changed `autoscale`); the history of recommendations and events stays. */
  update(spec: HpaSpec): void {
    this.spec = spec;
  }

  /** The desired replica count for `currentReplicas` given the metrics (records the recommendation). */
  recommend(currentReplicas: number, metrics: MetricInput[]): Recommendation {
    const { minReplicas, maxReplicas } = this.spec;
    const now = this.now();
    // Like Kubernetes' recordInitialRecommendation: a fresh autoscaler does not scale down at once.
    if (this.recommendations.length === 0) this.recommendations.push({ value: currentReplicas, atMs: now });
    const base = { currentReplicas, metrics: [] as MetricResult[] };
    if (currentReplicas === 0)
      return { ...base, desiredReplicas: 0, condition: 'ScalingDisabled', ...why(message('autoscale.disabledAtZero')) };
    if (currentReplicas > maxReplicas)
      return {
        ...base,
        desiredReplicas: maxReplicas,
        condition: 'AboveMaxReplicas',
        ...why(message('autoscale.aboveMax')),
      };
    if (currentReplicas < minReplicas)
      return {
        ...base,
        desiredReplicas: minReplicas,
        condition: 'BelowMinReplicas',
        ...why(message('autoscale.belowMin')),
      };

    const results = metrics.map((m) => this.evaluate(currentReplicas, m));
    const valid = results.filter((r) => r.proposal !== undefined);
    const proposal = valid.reduce<number | undefined>(
      (a, r) => (a === undefined || r.proposal! > a ? r.proposal : a),
      undefined,
    );
    const invalid = results.length - valid.length;
    // Kubernetes scales on the metrics it could read only when they ask for more, never for less.
    if (proposal === undefined || (invalid > 0 && proposal < currentReplicas)) {
      const errors = results.filter((r) => r.error).map((r) => `${r.name}: ${r.error}`);
      return {
        currentReplicas,
        desiredReplicas: currentReplicas,
        metrics: results,
        condition: 'FailedGetMetrics',
        ...why(
          errors.length > 0
            ? message('autoscale.metricErrors', { errors: errors.join('; ') })
            : message('autoscale.noMetrics'),
        ),
      };
    }
    const top = valid.find((r) => r.proposal === proposal)!;
    const reason = why(
      proposal > currentReplicas
        ? message('autoscale.aboveTarget', { metric: top.name })
        : proposal < currentReplicas
          ? message('autoscale.belowTarget')
          : message('autoscale.withinTolerance'),
    );

    const stabilized = this.stabilize(currentReplicas, proposal, now);
    const { desired, condition } = this.limit(currentReplicas, stabilized.value, now);
    return {
      currentReplicas,
      desiredReplicas: desired,
      proposal,
      metrics: results,
      condition: desired !== stabilized.value || !stabilized.condition ? condition : stabilized.condition,
      ...reason,
    };
  }

  /** Records a scale the caller made, so the rate policies count it. */
  scaled(from: number, to: number): void {
    if (from === to) return;
    const now = this.now();
    const rules = to > from ? this.spec.behavior.scaleUp : this.spec.behavior.scaleDown;
    const longest = Math.max(0, ...rules.policies.map((p) => p.periodMs));
    const keep = (events: Timestamped[]) => events.filter((e) => e.atMs > now - longest);
    if (to > from) this.scaleUpEvents = [...keep(this.scaleUpEvents), { value: to - from, atMs: now }];
    else this.scaleDownEvents = [...keep(this.scaleDownEvents), { value: from - to, atMs: now }];
  }

  private evaluate(current: number, m: MetricInput): MetricResult {
    const base = { name: m.name, target: m.target };
    if (m.error) return { ...base, error: m.error };
    try {
      const r = replicasForMetric(current, m, this.spec.tolerance);
      return { ...base, current: r.usage, proposal: r.replicas };
    } catch (err) {
      return { ...base, error: (err as Error).message };
    }
  }

  /**
   * Kubernetes' stabilizeRecommendationWithBehaviors: the current count is raised to the lowest
   * recommendation of the scale-up window and lowered to the highest of the scale-down window,
   * so a scale-down happens only once every recommendation of the window agrees.
   */
  private stabilize(current: number, desired: number, now: number): { value: number; condition?: HpaCondition } {
    const { scaleUp, scaleDown } = this.spec.behavior;
    let up = desired;
    let down = desired;
    for (const r of this.recommendations) {
      if (r.atMs > now - scaleUp.stabilizationWindowMs) up = Math.min(up, r.value);
      if (r.atMs > now - scaleDown.stabilizationWindowMs) down = Math.max(down, r.value);
    }
    const longest = Math.max(scaleUp.stabilizationWindowMs, scaleDown.stabilizationWindowMs);
    this.recommendations = [
      ...this.recommendations.filter((r) => r.atMs > now - longest),
      { value: desired, atMs: now },
    ];
    let value = current;
    if (value < up) value = up;
    if (value > down) value = down;
    if (value === desired) return { value };
    return { value, condition: desired > current ? 'ScaleUpStabilized' : 'ScaleDownStabilized' };
  }

  /** Kubernetes' convertDesiredReplicasWithBehaviorRate: rate policies and [min, max]. */
  private limit(current: number, desired: number, now: number): { desired: number; condition: HpaCondition } {
    const { minReplicas, maxReplicas, behavior } = this.spec;
    if (desired > current) {
      const limit = Math.max(current, this.scaleLimit(current, behavior.scaleUp, now, 1));
      const ceiling = Math.min(maxReplicas, limit);
      const condition = maxReplicas > limit ? 'ScaleUpLimit' : 'TooManyReplicas';
      if (desired > ceiling) return { desired: ceiling, condition };
    } else if (desired < current) {
      const limit = Math.min(current, this.scaleLimit(current, behavior.scaleDown, now, -1));
      const floor = Math.max(minReplicas, limit);
      const condition = minReplicas < limit ? 'ScaleDownLimit' : 'TooFewReplicas';
      if (desired < floor) return { desired: floor, condition };
    }
    return { desired, condition: 'DesiredWithinRange' };
  }

  /**
   * The furthest the count may go in one direction now (calculateScaleUpLimitWithScalingRules /
   * calculateScaleDownLimitWithBehaviors): each policy starts from the count at the beginning of its
   * period (undoing the changes made within it) and `selectPolicy` picks among them.
   */
  private scaleLimit(current: number, rules: ScalingRules, now: number, direction: 1 | -1): number {
    if (rules.selectPolicy === 'Disabled' || rules.policies.length === 0) return current;
    const within = (events: Timestamped[], periodMs: number) =>
      events.filter((e) => e.atMs > now - periodMs).reduce((a, e) => a + e.value, 0);
    const proposals = rules.policies.map((p) => {
      const start = current - within(this.scaleUpEvents, p.periodMs) + within(this.scaleDownEvents, p.periodMs);
      if (direction === 1)
        return p.type === PolicyType.pods ? start + p.value : Math.ceil((start * (100 + p.value)) / 100);
      return p.type === PolicyType.pods ? start - p.value : Math.floor((start * (100 - p.value)) / 100);
    });
    // Max (the default) allows the biggest change: the highest limit up, the lowest limit down.
    const highest = (direction === 1) === (rules.selectPolicy === 'Max');
    return highest ? Math.max(...proposals) : Math.min(...proposals);
  }
}

/** A reason as both the English text and the message it comes from. */
function why(m: Message): { reason: string; reasonMessage: Message } {
  return { reason: m.text, reasonMessage: m };
}
