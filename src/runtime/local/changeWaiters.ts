/**
 * How converge waits for a replica set to change (a replica's phase, a scale, a stop) instead of
 * polling: each wait ends on the next wake, on abort, or after its timeout; and the error an
 * aborted converge ends with.
 */
import { RuntimeError } from '../../errors.js';

/** Pending waits of one replica set's converge. */
export class ChangeWaiters {
  private readonly wakers = new Set<() => void>();

  /** Resolves on the next `wake()`, when `signal` aborts, or after `timeoutMs` (at least 10 ms). */
  wait(signal: AbortSignal, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(10, timeoutMs));
      signal.addEventListener('abort', done, { once: true });
      this.wakers.add(done);
    });
  }

  /** Ends every pending wait. */
  wake(): void {
    // Called at every supervision tick of every set: nothing to copy while no converge waits.
    if (this.wakers.size === 0) return;
    for (const w of [...this.wakers]) w();
  }
}

/** The error of a converge whose signal aborted: the abort's reason when it is an Error. */
export function abortError(signal: AbortSignal, service: string): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new RuntimeError(`${service}: converge aborted`);
}
