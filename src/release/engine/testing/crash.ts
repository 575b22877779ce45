/**
 * A control plane's death, for tests: once `at(n)` counts its n-th guarded call (a store write, a
 * runtime call), that call's effect is kept and from then on every guarded call never returns, as
 * if the process had been killed right after it. A new engine over the same store and runtime
 * state is then what a restarted control plane is.
 */
export class Crash {
  /** Guarded calls made so far. */
  count = 0;
  /** The guarded call after which it dies. */
  limit = Infinity;
  private dead = false;
  private onCrash: (() => void) | undefined;
  /** What each guarded call was, in order (to name the step a crash stopped at). */
  readonly log: string[] = [];

  /** Dies right after the `n`th guarded call (1-based). */
  at(n: number): this {
    this.limit = n;
    return this;
  }

  /** Counts from zero again (the steps before were not the ones under test). */
  reset(): this {
    this.count = 0;
    this.log.length = 0;
    return this;
  }

  /** Tells `fn` when it dies. */
  whenDead(fn: () => void): void {
    this.onCrash = fn;
  }

  get crashed(): boolean {
    return this.dead;
  }

  /** Runs `f` (not counted) unless dead. */
  pass<T>(f: () => Promise<T>): Promise<T> {
    return this.dead ? never() : f();
  }

  /** Runs `f` unless dead; the call that reaches the limit completes, then the process "dies". */
  async guard<T>(f: () => Promise<T>, what = 'call'): Promise<T> {
    if (this.dead) return never();
    const result = await f();
    if (this.dead) return never();
    this.count++;
    this.log.push(what);
    if (this.count >= this.limit) {
      this.dead = true;
      this.onCrash?.();
      return never();
    }
    return result;
  }
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
