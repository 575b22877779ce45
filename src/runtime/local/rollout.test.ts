import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.js';
import { backoffDelayMs, nextStreak } from './backoff.js';
import { planRollout, rolloutLimits } from './rollout.js';

describe('rolloutLimits', () => {
  it('rounds surge up and unavailable down, like Kubernetes', () => {
    expect(rolloutLimits({ maxSurge: '25%', maxUnavailable: '25%', progressDeadlineMs: 1 }, 10)).toEqual({
      maxSurge: 3,
      maxUnavailable: 2,
    });
    expect(rolloutLimits({ maxSurge: 2, maxUnavailable: '0', progressDeadlineMs: 1 }, 3)).toEqual({
      maxSurge: 2,
      maxUnavailable: 0,
    });
  });
  it('turns 0/0 into a surge of 1', () => {
    expect(rolloutLimits({ maxSurge: '10%', maxUnavailable: '10%', progressDeadlineMs: 1 }, 1)).toEqual({
      maxSurge: 1,
      maxUnavailable: 0,
    });
  });
  it('rejects nonsense', () => {
    expect(() => rolloutLimits({ maxSurge: 'lots', maxUnavailable: 0, progressDeadlineMs: 1 }, 1)).toThrow(
      ValidationError,
    );
  });
});

describe('planRollout', () => {
  const limits = { maxSurge: 1, maxUnavailable: 0 };
  it('scales up and down without old replicas', () => {
    expect(planRollout({ desired: 3, newCount: 1, newReady: 1, oldCount: 0, oldReady: 0 }, limits).start).toBe(2);
    expect(planRollout({ desired: 1, newCount: 3, newReady: 3, oldCount: 0, oldReady: 0 }, limits).removeNew).toBe(2);
  });
  it('surges one, then removes an old one only when a new one is ready', () => {
    expect(planRollout({ desired: 2, newCount: 0, newReady: 0, oldCount: 2, oldReady: 2 }, limits)).toMatchObject({
      start: 1,
      removeReadyOld: 0,
    });
    expect(planRollout({ desired: 2, newCount: 1, newReady: 0, oldCount: 2, oldReady: 2 }, limits)).toMatchObject({
      start: 0,
      removeReadyOld: 0,
    });
    expect(planRollout({ desired: 2, newCount: 1, newReady: 1, oldCount: 2, oldReady: 2 }, limits)).toMatchObject({
      start: 0,
      removeReadyOld: 1,
    });
  });
  it('removes unhealthy old replicas first, within budget', () => {
    const s = planRollout({ desired: 2, newCount: 1, newReady: 1, oldCount: 2, oldReady: 1 }, limits);
    expect(s).toMatchObject({ removeUnhealthyOld: 1, removeReadyOld: 0 });
  });
  it('with maxUnavailable removes old replicas before new ones are ready', () => {
    expect(
      planRollout(
        { desired: 4, newCount: 0, newReady: 0, oldCount: 4, oldReady: 4 },
        { maxSurge: 0, maxUnavailable: 1 },
      ),
    ).toMatchObject({ start: 0, removeReadyOld: 1 });
  });
});

describe('backoff', () => {
  const policy = { initialBackoffMs: 10_000, maxBackoffMs: 300_000, resetAfterMs: 600_000 };
  it('doubles up to the cap and resets after a long run', () => {
    expect([0, 1, 2, 5, 9].map((n) => backoffDelayMs(policy, n))).toEqual([10_000, 20_000, 40_000, 300_000, 300_000]);
    expect(nextStreak(policy, 4, 1000)).toEqual({ delayMs: 160_000, streak: 5 });
    expect(nextStreak(policy, 4, 600_000)).toEqual({ delayMs: 10_000, streak: 1 });
  });
});
