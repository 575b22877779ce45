/**
 * The state machine of one alert instance (a rule, for one service when it watches services):
 * inactive → pending (breached, waiting for `for`) → firing → resolved → inactive. A breach that
 * ends while pending goes back to inactive without a notification; with `for: 0s` a breach fires at
 * once. Pure: the evaluator gives it the time, so tests control the clock.
 */

/** Where an alert instance stands. */
export type AlertPhase = 'inactive' | 'pending' | 'firing' | 'resolved';

export interface AlertState {
  phase: AlertPhase;
  /** Epoch ms the current breach began (pending and firing). */
  breachedSince?: number;
  /** Epoch ms it fired (firing, and resolved: the alert's startsAt). */
  firedAt?: number;
  /** Epoch ms it resolved. */
  resolvedAt?: number;
  /** The last value measured. */
  value?: number;
}

/** What a step did: a notification is sent on `firing` and `resolved`. */
export type Transition = 'pending' | 'firing' | 'resolved' | undefined;

export const INACTIVE: AlertState = { phase: 'inactive' };

/** The state after one evaluation at `nowMs`: `breached` or not, the measured `value`. */
export function nextState(
  s: AlertState,
  o: { breached: boolean; value?: number; nowMs: number; forMs: number },
): { state: AlertState; transition: Transition } {
  const value = o.value ?? s.value;
  const withValue = (st: AlertState): AlertState => (value === undefined ? st : { ...st, value });
  if (!o.breached) {
    if (s.phase === 'firing')
      return {
        state: withValue({ phase: 'resolved', firedAt: s.firedAt!, resolvedAt: o.nowMs }),
        transition: 'resolved',
      };
    return { state: withValue(INACTIVE), transition: undefined };
  }
  if (s.phase === 'firing') return { state: withValue(s), transition: undefined };
  const since = s.phase === 'pending' ? s.breachedSince! : o.nowMs;
  if (o.nowMs - since >= o.forMs)
    return { state: withValue({ phase: 'firing', breachedSince: since, firedAt: o.nowMs }), transition: 'firing' };
  return {
    state: withValue({ phase: 'pending', breachedSince: since }),
    transition: s.phase === 'pending' ? undefined : 'pending',
  };
}
