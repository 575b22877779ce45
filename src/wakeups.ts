/**
 * Idle timers on one beat: a periodic check of whole seconds is set to end on a whole multiple of its
 * period on the wall clock (a 5 s one at :00, :05, :10…, a 1 s one on every second), so the control
 * plane's slow checks (supervision at rest, the cron scheduler, the autoscaler) wake the process once,
 * together, instead of each at its own phase.
 */

/**
 * The delay to the next wall-clock multiple of `ms` when `ms` is whole seconds; to the next whole
 * second from `ms - 1 s` for another wait of a second or more; `ms` for a shorter one. Never under
 * 100 ms: a timer may fire a millisecond before its beat, and the next wait must not then be that
 * millisecond (a second run at once); the beat after is taken instead. (A larger floor would stretch
 * the first resting wait past its period: an adopted gateway's death is found within ~5 s.)
 */
export function onTheBeat(ms: number, nowMs = Date.now()): number {
  if (ms < 1000) return ms;
  const period = ms % 1000 === 0 ? ms : 1000;
  const wait = ms - period + (period - (nowMs % period));
  return wait < 100 ? wait + period : wait;
}

/**
 * A periodic task that sleeps while it has nothing to do: `run` again `usualMs` after each run, or
 * `idleMs` after a run that found nothing (it resolves true) and saw no change meanwhile; a change
 * (`changes`) while it sleeps brings its next run to the usual pace, so changes within one period make
 * one run. Runs never overlap; each on the beat. `run` handles its own errors (a rejection counts as
 * work found).
 */
export class Nap {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dueAt = 0;
  private changed = false;
  private stopped = true;
  private unsubscribe: (() => void) | undefined;
  private readonly o: {
    run: () => Promise<boolean>;
    usualMs: number;
    idleMs: number;
    changes?: ((wake: () => void) => () => void) | undefined;
  };

  constructor(o: Nap['o']) {
    this.o = o;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.o.changes?.(() => {
      this.changed = true;
      // Asleep (no run in progress, the next one further off than the usual pace): the next at the usual pace.
      if (this.timer !== undefined && this.dueAt > Date.now() + this.o.usualMs) {
        clearTimeout(this.timer);
        this.schedule(this.o.usualMs);
      }
    });
    this.schedule(this.o.usualMs);
  }

  /** No run after this one; resolves when the run under way (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    // Changes from now on count for the next run.
    this.changed = false;
    this.running = this.o
      .run()
      .catch(() => false)
      .then((idle) => {
        this.running = undefined;
        if (!this.stopped) this.schedule(idle && !this.changed && this.o.changes ? this.o.idleMs : this.o.usualMs);
      });
  };

  private schedule(ms: number): void {
    const wait = onTheBeat(ms);
    this.dueAt = Date.now() + wait;
    this.timer = setTimeout(this.fire, wait);
    this.timer.unref();
  }
}
