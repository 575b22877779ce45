/**
 * Idle timers on one beat: a periodic check of whole seconds is set to end on a whole multiple of its
 * period on the wall clock (a 5 s one at :00, :05, :10…, a 1 s one on every second), so the control
 * plane's slow checks (supervision at rest, the cron scheduler, the autoscaler) wake the process once,
 * together, instead of each at its own phase.
 */

/**
 * The delay (at most `ms`) to the next wall-clock multiple of `ms` when `ms` is whole seconds; to the
 * next whole second from `ms - 1 s` for another wait of a second or more; `ms` for a shorter one.
 */
export function onTheBeat(ms: number, nowMs = Date.now()): number {
  if (ms < 1000) return ms;
  const period = ms % 1000 === 0 ? ms : 1000;
  return ms - period + (period - (nowMs % period));
}
