/**
 * The HAProxy plane idle: once its counters settle, the gateway reads only the frontends' totals
 * (not the ~19× longer `show stat` of every server slot), and what sends no log line (a connection
 * without a request: nothing kicks the poller) still reaches the counters, as requests do.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../testing.js';
import { backend, get, useHaproxy } from './testdata/harness.js';

const gw = useHaproxy();

/** Resolves with `read()` once `ok` holds for it, polled every 20 ms (fails after 10 s). */
async function until<T>(what: string, read: () => T, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not met in 10 s (last ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('HAProxy counters while idle', () => {
  it('skips full reads while the frontends say nothing happened, and counts a request that comes later', async () => {
    const u = await gw.upstream('idle');
    const port = await freePort();
    const key = 'shop/local/idle';
    expect(await gw.hx.apply(gw.table([{ key, port, backends: [backend(u)] }]))).toEqual([]);
    const stable = () =>
      gw.hx
        .traffic()
        .find((s) => s.key === key)
        ?.tracks.find((t) => t.track === 'stable');

    // Settled: probes stand in for reads, and the reads stop growing.
    await until(
      'probes skipping reads',
      () => gw.hx.statReads.skipped,
      (n) => n >= 2,
    );
    const reads = gw.hx.statReads.reads;
    const skipped = gw.hx.statReads.skipped;
    await until(
      'two more skipped turns',
      () => gw.hx.statReads.skipped,
      (n) => n >= skipped + 2,
    );
    expect(gw.hx.statReads.reads).toBe(reads);

    // A connection that sends nothing yet: no log line, only the frontend's totals move.
    const inFlight = () => gw.hx.stats().find((l) => l.key === key)?.inFlight ?? -1;
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    await until('the open connection seen', inFlight, (n) => n === 1);
    expect(gw.hx.statReads.reads).toBeGreaterThan(reads);
    socket.destroy();
    await until('the closed connection seen', inFlight, (n) => n === 0);

    expect((await get(port, '/x')).status).toBe(200);
    expect((await get(port, '/y')).status).toBe(200);
    await until(
      'the two requests counted',
      () => stable()?.requests ?? 0,
      (n) => n === 2,
    );
  });
});
