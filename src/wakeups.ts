/**
 * Idle timers on one beat: a periodic check of a second or more is set to end on a whole second of
 * the wall clock, so the control plane's once-a-second and slower checks (the cron scheduler, the
 * autoscaler, supervision at rest) wake the process once, together, instead of each at its own phase.
 */

/** The delay to the end of a wait of about `ms` (at least `ms` less a second) that ends on a whole second; under a second, `ms`. */
export function onTheSecond(ms: number, nowMs = Date.now()): number {
  if (ms < 1000) return ms;
  return ms - (nowMs % 1000);
}
