import { afterEach, describe, expect, it } from 'vitest';
import type { StatRow } from './adminSocket.js';
import { StatPoller } from './statPoller.js';

const row = (requests: number): StatRow => ({
  proxy: 's.shop/test/web',
  name: 'FRONTEND',
  queued: 0,
  sessions: 0,
  connections: 0,
  requests,
  errors5xx: 0,
  status: 'OPEN',
});

/** Resolves once `check` holds, polled every few ms (fails after 5 s). */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in 5 s');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('StatPoller', () => {
  let poller: StatPoller | undefined;
  afterEach(() => poller?.close());

  it('slows down while two reads are the same, and reads quickly again on traffic or moved counters', async () => {
    let requests = 1;
    const intervals: number[] = [];
    let reads = 0;
    const p = new StatPoller({
      intervalMs: 5,
      idleIntervalMs: 40,
      read: () => Promise.resolve([row(requests)]),
      rows: () => {
        reads++;
        intervals.push(p.interval);
      },
    });
    poller = p;
    p.start();
    // Nothing moves: each wait doubles up to the idle interval.
    await until(() => p.interval === 40 && reads >= 5);
    expect(intervals.slice(0, 4)).toEqual([5, 5, 10, 20]);
    // A log line (traffic): quick again at once.
    p.kick();
    expect(p.interval).toBe(5);
    const after = reads;
    await until(() => reads > after + 1);
    // Counters that move keep it quick.
    requests = 2;
    const moved = reads;
    await until(() => reads > moved + 1);
    requests = 3;
    await until(() => reads > moved + 2 && p.interval === 5);
  });

  it('skips a read there is nothing to read for, and stops for good once closed', async () => {
    let available = false;
    let asked = 0;
    let reads = 0;
    const p = new StatPoller({
      intervalMs: 5,
      read: () => {
        asked++;
        return available ? Promise.resolve([row(1)]) : undefined;
      },
      rows: () => reads++,
    });
    poller = p;
    p.start();
    await until(() => asked >= 3);
    expect(reads).toBe(0);
    available = true;
    await until(() => reads >= 1);
    p.close();
    const asks = asked;
    await new Promise((r) => setTimeout(r, 50));
    expect(asked).toBeLessThanOrEqual(asks + 1);
  });

  it('while settled, asks the probe instead of reading, and reads again when its answer changes or on a kick', async () => {
    let totals = 'f 0 1 1';
    const p = new StatPoller({
      intervalMs: 2,
      idleIntervalMs: 8,
      read: () => Promise.resolve([row(1)]),
      rows: () => undefined,
      probe: () => Promise.resolve(totals),
    });
    poller = p;
    p.start();
    // Two equal reads settle it; then one read after the first probe, and probes alone.
    await until(() => p.counts.skipped >= 3);
    const reads = p.counts.reads;
    await until(() => p.counts.skipped >= 6);
    expect(p.counts.reads).toBe(reads);
    // A connection, a request or a stream's end: the probe's answer changes, the next turn reads.
    totals = 'f 0 2 2';
    await until(() => p.counts.reads > reads);
    const skipped = p.counts.skipped;
    await until(() => p.counts.skipped >= skipped + 3);
    expect(p.counts.reads).toBe(reads + 1);
    // A kick (a log line, a table change) reads whatever the probe says.
    p.kick();
    await until(() => p.counts.reads > reads + 1);
  });

  it('rests while settled (probes further apart, up to restIntervalMs), and fresh() probes at once, reading if it moved', async () => {
    let totals = 'f 0 1 1';
    let requests = 1;
    let probes = 0;
    let seen = 0;
    const p = new StatPoller({
      intervalMs: 2,
      idleIntervalMs: 8,
      restIntervalMs: 60_000,
      read: () => Promise.resolve([row(requests)]),
      rows: (rows) => (seen = rows[0]!.requests),
      probe: () => (probes++, Promise.resolve(totals)),
    });
    poller = p;
    // Not started (no table yet): nothing to bring up to date.
    await p.fresh();
    expect(probes + p.counts.reads).toBe(0);
    p.start();
    // Each skipped probe doubles the wait past the idle interval, towards the rest interval.
    await until(() => p.counts.skipped >= 3 && p.interval >= 64);
    expect(p.interval).toBeLessThanOrEqual(60_000);

    // A reader's fresh(): one probe now; nothing moved, so no read.
    const [asked, reads] = [probes, p.counts.reads];
    await p.fresh();
    expect(probes).toBe(asked + 1);
    expect(p.counts.reads).toBe(reads);

    // Something moved (a TCP connection sends no log line to kick the poller): fresh() reads it at once.
    requests = 3;
    totals = 'f 0 3 3';
    await p.fresh();
    expect(seen).toBe(3);
    expect(p.counts.reads).toBe(reads + 1);
  });
});
