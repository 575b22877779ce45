/** The engine's clock helpers (clock.ts) on a clock moved by hand. */
import { describe, expect, it } from 'vitest';
import { every, isoNow, sleep } from './clock.js';
import { FakeClock } from './testing/fakeClock.js';

describe('engine clock', () => {
  it('sleeps until the clock has moved far enough, or until aborted', async () => {
    const clock = new FakeClock(Date.parse('2026-03-01T10:00:00Z'));
    let woke = false;
    void sleep(clock, 5_000).then(() => (woke = true));
    await clock.advance(4_999);
    expect(woke).toBe(false);
    await clock.advance(1);
    expect(woke).toBe(true);
    expect(isoNow(clock)).toBe('2026-03-01T10:00:05.000Z');

    const ac = new AbortController();
    let cut = false;
    void sleep(clock, 60_000, ac.signal).then(() => (cut = true));
    ac.abort();
    await clock.advance(0);
    expect(cut).toBe(true);
    expect(clock.pending).toBe(0); // the aborted sleep's timer is gone
  });

  it('calls every interval until stopped', async () => {
    const clock = new FakeClock();
    const ticks: number[] = [];
    const start = clock.now();
    const stop = every(clock, 1_000, () => ticks.push(clock.now() - start));
    await clock.advance(3_500);
    stop();
    await clock.advance(5_000);
    expect(ticks).toEqual([1_000, 2_000, 3_000]);
  });
});
