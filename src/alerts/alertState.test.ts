/** The for-aware state machine of one alert instance, on a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { INACTIVE, nextState, type AlertState, type Transition } from './alertState.js';

/** Runs breaches at times (ms) and returns each step's phase and transition. */
function run(forMs: number, steps: [nowMs: number, breached: boolean][]): [string, Transition][] {
  let s: AlertState = INACTIVE;
  return steps.map(([nowMs, breached]) => {
    const r = nextState(s, { breached, value: breached ? 1 : 0, nowMs, forMs });
    s = r.state;
    return [s.phase, r.transition];
  });
}

describe('an alert’s state machine', () => {
  it('goes inactive → pending → firing once the breach lasted `for`, then resolved → inactive', () => {
    expect(
      run(60_000, [
        [0, false],
        [10_000, true],
        [40_000, true],
        [70_000, true],
        [80_000, true],
        [90_000, false],
        [100_000, false],
      ]),
    ).toEqual([
      ['inactive', undefined],
      ['pending', 'pending'],
      ['pending', undefined],
      ['firing', 'firing'],
      ['firing', undefined],
      ['resolved', 'resolved'],
      ['inactive', undefined],
    ]);
  });

  it('goes back to inactive without a notification when a breach ends while pending, and starts `for` again', () => {
    expect(
      run(60_000, [
        [0, true],
        [30_000, false],
        [40_000, true],
        [90_000, true],
        [100_000, true],
      ]),
    ).toEqual([
      ['pending', 'pending'],
      ['inactive', undefined],
      ['pending', 'pending'],
      ['pending', undefined],
      ['firing', 'firing'],
    ]);
  });

  it('fires at once with for 0s, and fires again after it resolved', () => {
    expect(
      run(0, [
        [0, true],
        [10, false],
        [20, true],
      ]),
    ).toEqual([
      ['firing', 'firing'],
      ['resolved', 'resolved'],
      ['firing', 'firing'],
    ]);
  });

  it('keeps when it fired and when it resolved, and the last value', () => {
    let s = nextState(INACTIVE, { breached: true, value: 0.2, nowMs: 1000, forMs: 0 }).state;
    s = nextState(s, { breached: false, value: 0.01, nowMs: 5000, forMs: 0 }).state;
    expect(s).toEqual({ phase: 'resolved', firedAt: 1000, resolvedAt: 5000, value: 0.01 });
  });
});
