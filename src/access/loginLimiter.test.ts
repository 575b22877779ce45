import { describe, expect, it } from 'vitest';
import { createLoginLimiter, TooManyAttemptsError } from './loginLimiter.js';

describe('the login limiter', () => {
  it('refuses a user or an address after too many failures in the window, and forgets them after it', () => {
    let t = 0;
    const limiter = createLoginLimiter({ limit: 3, addressLimit: 3, windowMs: 10_000, now: () => t });
    for (let i = 0; i < 3; i++) {
      limiter.check('ada', '10.0.0.1');
      limiter.failed('ada', '10.0.0.1');
      t += 100;
    }
    expect(() => limiter.check('ada', '10.0.0.2')).toThrow(TooManyAttemptsError); // the user
    expect(() => limiter.check('bob', '10.0.0.1')).toThrow(TooManyAttemptsError); // the address
    limiter.check('bob', '10.0.0.2');
    try {
      limiter.check('ada', '10.0.0.2');
    } catch (err) {
      expect((err as TooManyAttemptsError).retryAfterSeconds).toBe(10);
    }
    t += 10_000;
    limiter.check('ada', '10.0.0.1');
  });

  it("clears a user's failures on success", () => {
    const limiter = createLoginLimiter({ limit: 2, windowMs: 60_000, now: () => 0 });
    limiter.failed('ada', 'a');
    limiter.succeeded('ada');
    limiter.failed('ada', 'b');
    limiter.check('ada', 'c');
  });
});
