import { describe, expect, it } from 'vitest';
import { CircuitBreaker, Outcome, rejected } from './circuitBreaker.js';
import { TokenBucket, retryAfterSeconds } from './tokenBucket.js';

const wall = (): number => Date.parse('2025-01-01T00:00:00Z');

describe('CircuitBreaker', () => {
  it('admits only halfOpenRequests probes at a time, and closes once all of them succeed', () => {
    const b = new CircuitBreaker(
      { consecutiveFailures: 2, minRequests: 1, windowMs: 1000, openMs: 100, halfOpenRequests: 2 },
      wall,
    );
    b.record(b.allow(0), Outcome.failure, 0);
    b.record(b.allow(1), Outcome.failure, 1);
    expect(b.status(2)).toEqual({
      state: 'open',
      openedAt: '2025-01-01T00:00:00.000Z',
      reason: '2 failures in a row',
      reasonMessage: { code: 'circuit.failures', params: { count: 2 }, text: '2 failures in a row' },
    });
    expect(b.allow(50)).toBe(rejected);

    const p1 = b.allow(101);
    const p2 = b.allow(102);
    expect(p1).toBeGreaterThan(0);
    expect(p2).toBe(p1);
    expect(b.allow(103)).toBe(rejected);
    // A probe the client abandoned frees its slot.
    b.record(p2, Outcome.cancelled, 104);
    const p3 = b.allow(105);
    expect(p3).toBe(p1);
    b.record(p1, Outcome.success, 110);
    expect(b.status(110).state).toBe('halfOpen');
    b.record(p3, Outcome.success, 111);
    expect(b.status(111).state).toBe('closed');
    expect(b.allow(112)).toBe(0);
  });

  it('ignores late answers of requests admitted before it opened, and probes of an earlier round', () => {
    const b = new CircuitBreaker({
      consecutiveFailures: 1,
      minRequests: 1,
      windowMs: 1000,
      openMs: 100,
      halfOpenRequests: 1,
    });
    const early = b.allow(0);
    b.record(b.allow(0), Outcome.failure, 1);
    b.record(early, Outcome.success, 2);
    expect(b.status(3).state).toBe('open');

    const round1 = b.allow(200);
    const round2Trigger = b.allow(201);
    expect(round2Trigger).toBe(rejected);
    b.record(round1, Outcome.failure, 202);
    expect(b.status(203)).toMatchObject({ state: 'open', reason: 'a half-open probe failed' });
    const round2 = b.allow(400);
    expect(round2).toBeGreaterThan(round1);
    // The first round's probe answering now decides nothing.
    b.record(round1, Outcome.success, 401);
    expect(b.status(402).state).toBe('halfOpen');
    b.record(round2, Outcome.success, 403);
    expect(b.status(404).state).toBe('closed');
  });

  it('opens on the error rate of the sliding window only, with at least minRequests', () => {
    const b = new CircuitBreaker({ errorRate: 0.5, minRequests: 4, windowMs: 1000, openMs: 100, halfOpenRequests: 1 });
    // Old failures slide out of the window.
    for (let i = 0; i < 3; i++) b.record(b.allow(i), Outcome.failure, i);
    for (let t = 2000; t < 2003; t++) b.record(b.allow(t), Outcome.success, t);
    b.record(b.allow(2004), Outcome.failure, 2004);
    expect(b.status(2005).state).toBe('closed');
    b.record(b.allow(2006), Outcome.failure, 2006);
    expect(b.status(2007).state).toBe('closed'); // 2 of 5: 40%
    b.record(b.allow(2008), Outcome.failure, 2008);
    expect(b.status(2009).state).toBe('closed'); // 3 of 6: not above 50%
    b.record(b.allow(2010), Outcome.failure, 2010);
    expect(b.status(2011)).toMatchObject({ state: 'open', reason: 'error rate 57% over 1s' });
  });
});

describe('TokenBucket', () => {
  it('starts full, refills at its rate up to burst, and tells how long until the next token', () => {
    const b = new TokenBucket(10, 2, 0);
    expect([b.take(0), b.take(0)]).toEqual([0, 0]);
    expect(b.take(0)).toBeCloseTo(100);
    expect(b.take(50)).toBeCloseTo(50);
    expect(b.take(100)).toBe(0);
    // A long pause refills no more than burst.
    expect([b.take(10_000), b.take(10_000), b.take(10_000) > 0]).toEqual([0, 0, true]);
    expect([retryAfterSeconds(1), retryAfterSeconds(1000), retryAfterSeconds(1001)]).toEqual([1, 1, 2]);
  });
});
