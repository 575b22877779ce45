/**
 * A clock a test moves by hand: `advance(ms)` fires every timer due by then, in order, letting the
 * promises each one resolves settle before the next. Nothing waits in real time. It starts at the
 * real time (the store stamps a release's start with it), then moves only when told.
 */
import type { EngineClock } from '../clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets pending promise chains (and the store's queries) run: a few turns of the event loop. */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

export class FakeClock implements EngineClock {
  private timers: Timer[] = [];
  private seq = 0;

  private ms: number;

  constructor(startMs = Date.now()) {
    this.ms = startMs;
  }

  now(): number {
    return this.ms;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const t: Timer = { at: this.ms + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing each timer due on the way at its own time. */
  async advance(ms: number): Promise<void> {
    const end = this.ms + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.ms = Math.max(this.ms, due.at);
      due.fn();
    }
    this.ms = end;
    await settle();
  }
}
