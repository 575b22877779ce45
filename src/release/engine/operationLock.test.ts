/**
 * The operation lock over a real SQLite store: two requests of one control plane never both hold an
 * (app, env) (the lease alone let its holder in twice), a waiter is queued until the holder gives
 * up, a waiter whose caller goes away leaves the queue, and another live control plane's lease is
 * respected while a dead one's is taken over.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockedError } from '../../errors.js';
import { createLeases } from '../../store/leases.js';
import { openStore, type Store } from '../../store/store.js';
import { createOperationLock, type OperationLock } from './operationLock.js';
import type { Release } from '../releases.js';
import { FakeClock } from './testing/fakeClock.js';

describe('operation lock', () => {
  let dir: string;
  let store: Store;
  const alive = new Set<string>();
  const closing = new AbortController();
  let clock = new FakeClock();

  const lockOf = (holder: string): OperationLock =>
    createOperationLock({
      leases: createLeases(store.db, { holder }),
      isHolderAlive: (h) => alive.has(h),
      logger: pino({ level: 'silent' }),
      leaseTtlMs: 10_000,
      closing: closing.signal,
      clock,
    });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-oplock-'));
    store = await openStore({ file: path.join(dir, 'berth.db') });
    alive.clear();
    clock = new FakeClock();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a second operation of the same control plane, naming the running revision', async () => {
    const lock = lockOf('a');
    // Both asked at once: exactly one wins.
    const [x, y] = await Promise.allSettled([lock.acquire('shop', 'prod'), lock.acquire('shop', 'prod')]);
    expect([x.status, y.status].sort()).toEqual(['fulfilled', 'rejected']);
    const op = (x.status === 'fulfilled' ? x.value : (y as PromiseFulfilledResult<never>).value)!;
    op.release = { revision: 2, kind: 'deploy', author: 'ana', status: 'running' } as Release;

    const err = await lock.acquire('shop', 'prod').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockedError);
    expect((err as LockedError).message).toMatch(
      /^shop in prod: revision 2 \(deploy by ana, running\) is in progress; /,
    );
    // What runs, in words, for `--wait` to say without parsing the message.
    expect((err as LockedError).details).toMatchObject({
      app: 'shop',
      env: 'prod',
      revision: 2,
      running: 'revision 2 (deploy by ana, running) is in progress',
    });

    // Another (app, env) is independent.
    await lock.giveUp(await lock.acquire('shop', 'staging'));
    await lock.giveUp(op);
    await lock.giveUp(await lock.acquire('shop', 'prod'));
  });

  it('queues a waiter until the running operation ends, and drops one whose caller went away', async () => {
    const lock = lockOf('a');
    const op = await lock.acquire('shop', 'prod');
    let finish!: () => void;
    lock.hold(op, () => new Promise<void>((r) => (finish = r)));

    const gone = new AbortController();
    const leaving = lock.acquire('shop', 'prod', { wait: true, signal: gone.signal }).catch((e: unknown) => e);
    let taken = false;
    const queued = lock.acquire('shop', 'prod', { wait: true }).then((o) => ((taken = true), o));
    await new Promise((r) => setTimeout(r, 50));
    expect(taken).toBe(false);
    gone.abort();
    expect(await leaving).toBeInstanceOf(LockedError);

    finish();
    const next = await queued;
    expect(lock.current('shop', 'prod')).toBe(next);
    await lock.giveUp(next);
    expect(lock.current('shop', 'prod')).toBeUndefined();
  });

  it("respects a live control plane's lease and takes a dead one's over", async () => {
    const a = lockOf('a');
    const b = lockOf('b');
    await a.acquire('shop', 'prod');
    alive.add('a');
    await expect(b.acquire('shop', 'prod')).rejects.toThrow(/another control plane \(a\) is running an operation/);
    alive.delete('a'); // a died holding it
    const taken = await b.acquire('shop', 'prod');
    expect(b.current('shop', 'prod')).toBe(taken);
  });

  it('renews its lease on the clock while the operation runs, and a waiter for a foreign lease looks again every second', async () => {
    const a = lockOf('a');
    const leasesOfA = createLeases(store.db, { holder: 'a', clock });
    const op = await a.acquire('shop', 'prod');
    let finish!: () => void;
    a.hold(op, () => new Promise<void>((r) => (finish = r)));
    const first = (await leasesOfA.holderOf('shop', 'prod'))!.expiresAt;
    // The lease store stamps real time; the renewal (every ttl/3 of the engine's clock) moves it on.
    await new Promise((r) => setTimeout(r, 20));
    await clock.advance(3_400);
    const renewed = (await leasesOfA.holderOf('shop', 'prod'))!.expiresAt;
    expect(renewed).toBeGreaterThan(first);

    alive.add('a');
    const b = lockOf('b');
    let taken = false;
    const waiting = b.acquire('shop', 'prod', { wait: true }).then((o) => ((taken = true), o));
    await clock.advance(5_000);
    expect(taken).toBe(false);
    finish(); // a gives its lease up; b finds it free at its next look, one second later at most
    await clock.advance(1_000);
    expect(b.current('shop', 'prod')).toBe(await waiting);
  });
});
