/**
 * Faults the fake API server injects, as a flaky network or an overloaded API server would: a 429
 * with Retry-After, a 5xx, or a connection reset, on the next matching requests.
 */

/** One fault to inject `times` times (default once) into requests that match. */
export interface Fault {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Path to match: a substring, or a regular expression (any when omitted). */
  path?: string | RegExp;
  /** Match only watch requests (true), only other requests (false), or both (omitted). */
  watch?: boolean;
  /** An HTTP status to answer with, or `reset`: the connection is destroyed without an answer. */
  status: number | 'reset';
  /** Retry-After header of the answer, in seconds. */
  retryAfterSeconds?: number;
  times?: number;
}

/** The faults still to inject, consumed in order by the requests they match. */
export class Faults {
  private readonly pending: (Fault & { left: number })[] = [];
  /** How many faults were injected. */
  injected = 0;

  add(f: Fault): void {
    this.pending.push({ ...f, left: f.times ?? 1 });
  }

  /** The fault this request gets, if any (consumed). */
  take(req: { method: string; path: string; watch: boolean }): Fault | undefined {
    const i = this.pending.findIndex(
      (f) =>
        (f.method === undefined || f.method === req.method) &&
        (f.watch === undefined || f.watch === req.watch) &&
        (f.path === undefined || (typeof f.path === 'string' ? req.path.includes(f.path) : f.path.test(req.path))),
    );
    if (i < 0) return undefined;
    const f = this.pending[i]!;
    if (--f.left <= 0) this.pending.splice(i, 1);
    this.injected++;
    return f;
  }
}
