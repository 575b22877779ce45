/**
 * The release engine's time: what time it is and "call me in `ms`". Every timeout, wait, poll and
 * lease renewal of the engine goes through it, so a test drives them with a clock it moves by hand
 * (testing/fakeClock.ts) instead of sleeping.
 */

export interface EngineClock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Calls `fn` once after `ms`; returns what cancels it. `unref`: the timer does not keep the
   * process alive (a poll, not a deadline).
   */
  setTimer(ms: number, fn: () => void, opts?: { unref?: boolean }): () => void;
}

export const systemClock: EngineClock = {
  now: () => Date.now(),
  setTimer(ms, fn, opts) {
    const t = setTimeout(fn, ms);
    if (opts?.unref) t.unref();
    return () => clearTimeout(t);
  },
};

/** The clock's time as an ISO timestamp, as the store keeps times. */
export const isoNow = (clock: EngineClock): string => new Date(clock.now()).toISOString();

/** Resolves after `ms` on `clock`, or at once when `signal` aborts (never rejects). */
export function sleep(clock: EngineClock, ms: number, signal?: AbortSignal, opts?: { unref?: boolean }): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const cancel = clock.setTimer(ms, done, opts);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Calls `fn` every `ms` on `clock` until the returned function is called. */
export function every(clock: EngineClock, ms: number, fn: () => void): () => void {
  let cancel = (): void => undefined;
  let stopped = false;
  const arm = (): void => {
    cancel = clock.setTimer(ms, () => {
      if (stopped) return;
      fn();
      arm();
    });
  };
  arm();
  return () => {
    stopped = true;
    cancel();
  };
}
