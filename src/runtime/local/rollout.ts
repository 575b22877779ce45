/**
 * Rolling-update arithmetic, exactly as the Kubernetes Deployment controller computes it: maxSurge
 * rounds up, maxUnavailable rounds down, and when both come out 0 the surge becomes 1.
 */
import { ValidationError } from '../../errors.js';
import type { RolloutPolicy } from '../../model/serviceState.js';

/** A count or a percentage of `replicas`. */
export function resolveIntOrPercent(value: number | string, replicas: number, roundUp: boolean, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw invalid(field, value);
    return value;
  }
  const m = /^(\d+)%$/.exec(value.trim());
  if (!m) {
    if (/^\d+$/.test(value.trim())) return Number(value.trim());
    throw invalid(field, value);
  }
  const exact = (Number(m[1]) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable as replica counts for `replicas` desired replicas. */
export function rolloutLimits(policy: RolloutPolicy, replicas: number): { maxSurge: number; maxUnavailable: number } {
  let maxSurge = resolveIntOrPercent(policy.maxSurge, replicas, true, 'rollout.maxSurge');
  const maxUnavailable = resolveIntOrPercent(policy.maxUnavailable, replicas, false, 'rollout.maxUnavailable');
  if (maxSurge === 0 && maxUnavailable === 0) maxSurge = 1;
  return { maxSurge, maxUnavailable };
}

function invalid(field: string, value: unknown): ValidationError {
  return new ValidationError(`invalid ${field}`, [
    { path: field, message: `must be a non-negative integer or a percentage like "25%", got ${JSON.stringify(value)}` },
  ]);
}

/** What a reconcile step should do, given the counts it sees. */
export interface RolloutStep {
  /** New replicas (with the desired hash) to start. */
  start: number;
  /** Old replicas that are not ready to remove (they serve nothing). */
  removeUnhealthyOld: number;
  /** Ready old replicas to remove. */
  removeReadyOld: number;
  /** Surplus new replicas to remove (scale-down). */
  removeNew: number;
}

/**
 * One step of a rolling update. `newCount` includes replicas being created; terminating replicas
 * are not counted at all.
 */
export function planRollout(
  c: { desired: number; newCount: number; newReady: number; oldCount: number; oldReady: number },
  limits: { maxSurge: number; maxUnavailable: number },
): RolloutStep {
  const step: RolloutStep = { start: 0, removeUnhealthyOld: 0, removeReadyOld: 0, removeNew: 0 };
  if (c.oldCount === 0) {
    if (c.newCount < c.desired) step.start = c.desired - c.newCount;
    if (c.newCount > c.desired) step.removeNew = c.newCount - c.desired;
    return step;
  }
  const maxTotal = c.desired + limits.maxSurge;
  step.start = Math.max(0, Math.min(c.desired - c.newCount, maxTotal - c.newCount - c.oldCount));
  const minAvailable = Math.max(0, c.desired - limits.maxUnavailable);
  const newUnavailable = c.newCount - c.newReady;
  // Unhealthy old replicas serve nothing, but removing one must not let a scale-up race past the surge budget.
  const maxScaledDown = c.newCount + c.oldCount - minAvailable - newUnavailable;
  const oldUnready = c.oldCount - c.oldReady;
  step.removeUnhealthyOld = Math.max(0, Math.min(oldUnready, maxScaledDown));
  const available = c.newReady + c.oldReady;
  step.removeReadyOld = Math.max(0, Math.min(c.oldReady, available - minAvailable));
  return step;
}
