/**
 * The HAProxy plane idle: once its counters settle, the gateway asks only `show info` (no stream in flight)
 * or the frontends' and backends' totals (a stream in flight), not the ~9× longer `show stat` with every
 * server slot, also while a connection stays open, and what sends no log line (a connection without a
 * request, a TCP connection: nothing kicks the poller) still reaches the counters, as requests do.
 */
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { TcpListener } from '../table.js';
import { freePort } from '../testing.js';
import { client, echo } from '../tcpTesting.js';
import { backend, get, useHaproxy } from './testdata/harness.js';

const gw = useHaproxy();
const servers: Awaited<ReturnType<typeof echo>>[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.server.close(r)))));

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

/** Waits until idle turns skip the full read, checks that two more pass without one, and returns the reads so far. */
async function readsOnceSettled(): Promise<number> {
  const start = gw.hx.statReads.skipped;
  await until(
    'probes skipping reads',
    () => gw.hx.statReads.skipped,
    (n) => n >= start + 2,
  );
  const reads = gw.hx.statReads.reads;
  const skipped = gw.hx.statReads.skipped;
  await until(
    'two more skipped turns',
    () => gw.hx.statReads.skipped,
    (n) => n >= skipped + 2,
  );
  expect(gw.hx.statReads.reads).toBe(reads);
  return reads;
}

describe('HAProxy counters while idle', () => {
  it('skips full reads while no frontend or backend total moves, and counts what comes later', async () => {
    const u = await gw.upstream('idle');
    const port = await freePort();
    const key = 'shop/local/idle';
    expect(await gw.hx.apply(gw.table([{ key, port, backends: [backend(u)] }]))).toEqual([]);
    const stable = () =>
      gw.hx
        .traffic()
        .find((s) => s.key === key)
        ?.tracks.find((t) => t.track === 'stable');

    // Settled: probes stand in for reads, and the reads stop growing. No stream is in flight, so the
    // probe is `show info` (its own connections subtracted), not the proxies' totals.
    const totals = gw.hx.statReads.totals;
    const reads = await readsOnceSettled();
    expect(gw.hx.statReads.info).toBeGreaterThanOrEqual(4);
    expect(gw.hx.statReads.totals).toBe(totals);

    // A connection that sends nothing yet: no log line, no request; only the count of connections moves.
    const inFlight = () => gw.hx.stats().find((l) => l.key === key)?.inFlight ?? -1;
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    await until('the open connection seen', inFlight, (n) => n === 1);
    expect(gw.hx.statReads.reads).toBeGreaterThan(reads);
    // Held open with no request: no stream behind a backend, so the counters settle on `show info` again,
    // and its close (only the open connections' count moves) is still seen.
    const held = await readsOnceSettled();
    expect(gw.hx.statReads.totals).toBe(totals);
    socket.destroy();
    await until('the closed connection seen', inFlight, (n) => n === 0);
    expect(gw.hx.statReads.reads).toBeGreaterThan(held);

    expect((await get(port, '/x')).status).toBe(200);
    expect((await get(port, '/y')).status).toBe(200);
    await until(
      'the two requests counted',
      () => stable()?.requests ?? 0,
      (n) => n === 2,
    );
  });

  it('settles while a TCP connection stays open, and sees it close', async () => {
    const server = await echo('redis');
    servers.push(server);
    const port = await freePort();
    const key = 'shop/local/redis';
    const tcp: TcpListener = {
      key,
      name: 'redis',
      port,
      graceMs: 1_000,
      backends: [{ id: 'redis', host: '127.0.0.1', port: server.port }],
    };
    expect(await gw.hx.apply({ ...gw.table([]), tcp: [tcp] })).toEqual([]);
    const inFlight = () => gw.hx.stats().find((l) => l.kind === 'tcp')?.inFlight ?? -1;

    const c = await client(port);
    expect(await c.ask('ping')).toBe('redis:ping');
    await until('the open connection seen', inFlight, (n) => n === 1);
    // Open for good (a client's pool): the counters settle all the same, and full reads stop. Its stream
    // is in flight behind the backend, so the probe is the proxies' totals (its end moves nothing in `show info`).
    const totals = gw.hx.statReads.totals;
    const reads = await readsOnceSettled();
    expect(gw.hx.statReads.totals).toBeGreaterThan(totals);

    c.s.destroy();
    await until('the closed connection seen', inFlight, (n) => n === 0);
    expect(gw.hx.statReads.reads).toBeGreaterThan(reads);
  });
});
