/**
 * Retries of transient API errors: a 429 (after its Retry-After), a 5xx other than 501, a connection
 * reset or refused, a request that timed out. Bounded exponential backoff with full jitter; every call
 * of the runtime's API clients goes through one wrapper (`retrying`), the watches through `retryWatch`.
 * Everything else (4xx: not found, conflict, invalid, forbidden) fails at once: retrying cannot help.
 */
import { setTimeout as sleepMs } from 'node:timers/promises';
import { ApiException } from '@kubernetes/client-node';

/** How transient errors are retried. */
export interface RetryPolicy {
  /** Tries in all, the first included (default 6). */
  attempts: number;
  /** Backoff before the second try; doubled each time (default 200 ms). */
  baseMs: number;
  /** Longest backoff, and longest Retry-After honoured (default 10 s). */
  maxMs: number;
  /** Waits; resolves early (rejects) when the signal aborts. Injectable for tests. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1): the jitter. Injectable for tests. */
  random: () => number;
  /** Wall clock in ms, for a Retry-After given as an HTTP date. Injectable for tests. */
  now: () => number;
  /** Told of each retry (for logs and tests). */
  onRetry?: (r: { what: string; attempt: number; delayMs: number; reason: string }) => void;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  baseMs: 200,
  maxMs: 10_000,
  sleep: (ms, signal) => sleepMs(ms, undefined, signal ? { signal } : {}),
  random: Math.random,
  now: Date.now,
};

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** The HTTP status of an error, if it carries one. */
function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: unknown; code?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Why an error is transient, or undefined when it is not. */
export function transientReason(err: unknown): string | undefined {
  const status = statusOf(err);
  if (status === 429) return 'HTTP 429 Too Many Requests';
  if (status !== undefined && status >= 500 && status !== 501) return `HTTP ${status}`;
  if (status !== undefined) return undefined;
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    const errno = (e as { errno?: unknown }).errno;
    for (const c of [code, errno]) if (typeof c === 'string' && NETWORK_CODES.has(c)) return c;
    const message = e instanceof Error ? e.message : '';
    if (/socket hang up|ECONNRESET|network timeout|Premature close/i.test(message)) return message;
  }
  return undefined;
}

/** Retry-After of a 429/503 in ms (seconds or an HTTP date), if the answer had one. */
export function retryAfterMs(err: unknown, now: () => number = Date.now): number | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const headers = (err.headers ?? {}) as Record<string, string | undefined>;
  const value = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}

/** The wait before try `attempt + 1` (attempt counts from 1): Retry-After, else full-jitter backoff. */
export function backoffMs(policy: RetryPolicy, attempt: number, err: unknown): number {
  const after = retryAfterMs(err, policy.now);
  if (after !== undefined) return Math.min(after, policy.maxMs);
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(cap / 2 + (policy.random() * cap) / 2);
}

/**
 * Runs `fn`, again after a backoff while it fails transiently, at most `policy.attempts` times.
 * When `signal` aborts (the runtime closing), a backoff under way ends at once and the call fails
 * with the signal's reason (the last error as its cause): no retry is started after it.
 */
export async function withRetry<T>(
  what: string,
  fn: () => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const reason = transientReason(err);
      if (reason === undefined || attempt >= policy.attempts || signal?.aborted) throw err;
      const delayMs = backoffMs(policy, attempt, err);
      policy.onRetry?.({ what, attempt, delayMs, reason });
      try {
        await policy.sleep(delayMs, signal);
      } catch (e) {
        if (signal?.aborted) throw abandoned(what, signal, err);
        throw e;
      }
      if (signal?.aborted) throw abandoned(what, signal, err);
    }
  }
}

/** The error of a retry given up because `signal` aborted, the last transient error as its cause. */
function abandoned(what: string, signal: AbortSignal, last: unknown): Error {
  const why = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new Error(`${what}: not retried (${why})`, { cause: last });
}

/**
 * The same API object, every method of `methods` retried by `withRetry` (the others untouched).
 * Safe because every call Berth makes is idempotent: server-side apply, get, list, and deletes that
 * take an answer of 404 as done. `signal` (the runtime closing) ends a backoff under way at once.
 */
export function retrying<T extends object>(
  api: T,
  label: string,
  policy: RetryPolicy,
  methods: RegExp,
  signal?: AbortSignal,
): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || typeof value !== 'function' || !methods.test(prop)) return value;
      return (...args: unknown[]) =>
        withRetry(
          `${label}.${prop}`,
          () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
          policy,
          signal,
        );
    },
  });
}

type WatchFn = (
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  callback: (type: string, object: any, raw?: any) => void, // eslint-disable-line @typescript-eslint/no-explicit-any -- as client-node types it
  done: (err: unknown) => void,
) => Promise<AbortController>;

/**
 * A watch whose start is retried: when the watch ends with a transient error before any event came
 * (refused, reset, 429, 5xx), it is opened again after a backoff, at most `policy.attempts` times,
 * and `done` is only called for the end that is not retried. The returned controller aborts whichever
 * attempt runs, and so does `signal` (the runtime closing): a backoff under way then ends at once,
 * with `done(null)`. A watch that ran and then ended is the caller's to re-establish (from where it was).
 */
export function retryWatch(watch: WatchFn, policy: RetryPolicy, signal?: AbortSignal): WatchFn {
  return async (path, query, callback, done) => {
    const outer = new AbortController();
    // Removes the listener on the runtime's closing signal once the watch ended, however it ended:
    // re-watches (an event watch per rollout, every dropped watch) would otherwise pile them up.
    const ended = new AbortController();
    let current: AbortController | undefined;
    outer.signal.addEventListener('abort', () => current?.abort(), { once: true });
    if (signal?.aborted) outer.abort();
    else signal?.addEventListener('abort', () => outer.abort(), { once: true, signal: ended.signal });
    const finish = (err: unknown): void => {
      ended.abort();
      done(err);
    };
    const attempt = async (n: number): Promise<void> => {
      let events = 0;
      current = await watch(
        path,
        query,
        (type, object, raw) => {
          events++;
          callback(type, object, raw);
        },
        (err) => {
          const reason = err ? transientReason(err) : undefined;
          if (outer.signal.aborted || events > 0 || reason === undefined || n >= policy.attempts) {
            finish(err);
            return;
          }
          const delayMs = backoffMs(policy, n, err);
          policy.onRetry?.({ what: `watch ${path}`, attempt: n, delayMs, reason });
          policy
            .sleep(delayMs, outer.signal)
            .then(() => attempt(n + 1))
            .catch((e: unknown) => finish(outer.signal.aborted ? null : e));
        },
      );
      if (outer.signal.aborted) current.abort();
    };
    await attempt(1);
    return outer;
  };
}
