/**
 * The rate limit of a service or route: a token bucket refilled continuously. No timer runs:
 * the refill since the last take is computed on the next take, so an idle limit costs nothing.
 */

/** A token bucket holding at most `burst` tokens, refilled at `requestsPerSecond`; starts full. */
export class TokenBucket {
  readonly requestsPerSecond: number;
  readonly burst: number;
  private tokens: number;
  private lastMs: number;

  constructor(requestsPerSecond: number, burst: number, nowMs: number) {
    this.requestsPerSecond = requestsPerSecond;
    this.burst = burst;
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  /**
   * Takes a token at `nowMs` (a monotonic clock): 0 if one was there, else the milliseconds until
   * the next one arrives (nothing is taken then).
   */
  take(nowMs: number): number {
    const elapsedMs = nowMs - this.lastMs;
    if (elapsedMs > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.requestsPerSecond) / 1000);
      this.lastMs = nowMs;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return ((1 - this.tokens) * 1000) / this.requestsPerSecond;
  }
}

/** The Retry-After value (whole seconds, at least 1) for a wait of `waitMs`. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
