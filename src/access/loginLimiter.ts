/**
 * Login attempts are rate-limited (docs/access.md): at most `limit` failures per user name and
 * `addressLimit` (4× as many: several people may share an address) per source address in a sliding `windowMs`; past it every attempt is refused (HTTP 429 with Retry-After)
 * without checking the password, so a guesser learns nothing and costs no scrypt work. A success clears
 * the user's failures. In memory: a restart forgets them, as it should a bounded window.
 */
import { BerthError, ErrorCode } from '../errors.js';

export interface LoginLimiter {
  /** Throws a 429 error when `user` or `address` has failed too often lately. */
  check(user: string, address: string): void;
  failed(user: string, address: string): void;
  succeeded(user: string): void;
}

/** HTTP 429: too many failed logins; `retryAfterSeconds` says when to try again. */
export class TooManyAttemptsError extends BerthError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(ErrorCode.tooManyRequests, `too many failed sign-ins: try again in ${retryAfterSeconds} s`, {
      details: { retryAfterSeconds },
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** How many keys it remembers at most (a flood of names must not grow memory without bound). */
const MAX_KEYS = 10_000;

export function createLoginLimiter(
  o: { limit?: number; addressLimit?: number; windowMs?: number; now?: () => number } = {},
): LoginLimiter {
  const limit = o.limit ?? 5;
  const addressLimit = o.addressLimit ?? limit * 4;
  const windowMs = o.windowMs ?? 60_000;
  const now = o.now ?? Date.now;
  const failures = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const t = now();
    const kept = (failures.get(key) ?? []).filter((at) => t - at < windowMs);
    if (kept.length) failures.set(key, kept);
    else failures.delete(key);
    return kept;
  };
  const refuse = (key: string, max: number): void => {
    const kept = recent(key);
    if (kept.length >= max)
      throw new TooManyAttemptsError(Math.max(1, Math.ceil((kept[0]! + windowMs - now()) / 1000)));
  };
  const note = (key: string): void => {
    if (!failures.has(key) && failures.size >= MAX_KEYS) failures.delete(failures.keys().next().value!);
    failures.set(key, [...recent(key), now()]);
  };
  return {
    check(user, address) {
      refuse(`user:${user}`, limit);
      refuse(`addr:${address}`, addressLimit);
    },
    failed(user, address) {
      note(`user:${user}`);
      note(`addr:${address}`);
    },
    succeeded(user) {
      failures.delete(`user:${user}`);
    },
  };
}
