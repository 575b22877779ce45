/**
 * Crash-loop backoff, Kubernetes-style: the delay before restarting a replica doubles with every
 * consecutive failure up to a cap, and the streak resets once a run lasted long enough.
 */
import type { RestartPolicy } from '../../model/serviceState.js';

/** Kubernetes' kubelet defaults: 10 s doubling to 300 s, reset after 10 min of running. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialBackoffMs: 10_000,
  maxBackoffMs: 300_000,
  resetAfterMs: 600_000,
};

/** Delay before the restart that follows `streak` earlier consecutive failures (0 → initial). */
export function backoffDelayMs(policy: RestartPolicy, streak: number): number {
  const delay = policy.initialBackoffMs * 2 ** Math.min(streak, 30);
  return Math.min(delay, policy.maxBackoffMs);
}

/**
 * The streak to use for the next restart: a run that lasted at least `resetAfterMs` starts a new
 * streak, otherwise it grows by one.
 */
export function nextStreak(
  policy: RestartPolicy,
  streak: number,
  ranForMs: number,
): { delayMs: number; streak: number } {
  const current = ranForMs >= policy.resetAfterMs ? 0 : streak;
  return { delayMs: backoffDelayMs(policy, current), streak: current + 1 };
}
