import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { createLeases } from './leases.js';
import { openStore, type Store } from './store.js';

describe('leases', () => {
  let dir: string;
  let store: Store;
  const clock = { t: 1_000_000, now: (): number => clock.t };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-leases-'));
    store = await openStore({ file: path.join(dir, 'berth.db') });
    clock.t = 1_000_000;
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets one of two contending holders win until it releases', async () => {
    const a = createLeases(store.db, { holder: 'a', clock });
    const b = createLeases(store.db, { holder: 'b', clock });
    expect(await a.acquire('shop', 'prod', 10_000)).toBe(true);
    expect(await b.acquire('shop', 'prod', 10_000)).toBe(false);
    expect(await a.holderOf('shop', 'prod')).toEqual({ holder: 'a', expiresAt: 1_010_000 });

    // Other (app, env) pairs are independent.
    expect(await b.acquire('shop', 'staging', 10_000)).toBe(true);
    expect(await b.acquire('cart', 'prod', 10_000)).toBe(true);

    await b.release('shop', 'prod'); // not b's: nothing happens
    expect((await b.holderOf('shop', 'prod'))?.holder).toBe('a');
    await a.release('shop', 'prod');
    expect(await a.holderOf('shop', 'prod')).toBeUndefined();
    expect(await b.acquire('shop', 'prod', 10_000)).toBe(true);
    expect((await a.holderOf('shop', 'prod'))?.holder).toBe('b');
  });

  it('is re-entrant for its holder and extends the expiry, keeping acquired_at', async () => {
    const a = createLeases(store.db, { holder: 'a', clock });
    expect(await a.acquire('shop', 'prod', 10_000)).toBe(true);
    clock.t += 5_000;
    expect(await a.acquire('shop', 'prod', 10_000)).toBe(true);
    const row = await store.db.selectFrom('leases').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ holder: 'a', expires_at: 1_015_000, acquired_at: new Date(1_000_000).toISOString() });
  });

  it('lets another holder take over an expired lease, after which the old holder cannot renew', async () => {
    const a = createLeases(store.db, { holder: 'a', clock });
    const b = createLeases(store.db, { holder: 'b', clock });
    expect(await a.acquire('shop', 'prod', 10_000)).toBe(true);
    clock.t += 9_999;
    expect(await b.acquire('shop', 'prod', 10_000)).toBe(false);
    clock.t += 1; // exactly at expiry the lease is free
    expect(await a.holderOf('shop', 'prod')).toBeUndefined();
    expect(await b.acquire('shop', 'prod', 10_000)).toBe(true);
    const row = await store.db.selectFrom('leases').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      holder: 'b',
      expires_at: clock.t + 10_000,
      acquired_at: new Date(clock.t).toISOString(),
    });

    expect(await a.renew('shop', 'prod', 10_000)).toBe(false);
    expect(await a.acquire('shop', 'prod', 10_000)).toBe(false);
    expect((await a.holderOf('shop', 'prod'))?.holder).toBe('b');
  });

  it("breaks another holder's lease only while that holder still has it", async () => {
    const a = createLeases(store.db, { holder: 'a', clock });
    const b = createLeases(store.db, { holder: 'b', clock });
    const c = createLeases(store.db, { holder: 'c', clock });
    await a.acquire('shop', 'prod', 10_000);
    await c.release('shop', 'prod', 'b'); // b holds nothing: a keeps it
    expect((await c.holderOf('shop', 'prod'))?.holder).toBe('a');
    await c.release('shop', 'prod', 'a'); // a is known dead
    expect(await c.holderOf('shop', 'prod')).toBeUndefined();
    expect(await b.acquire('shop', 'prod', 10_000)).toBe(true);
    await c.release('shop', 'prod', 'a'); // stale decision about a: b's lease survives
    expect((await c.holderOf('shop', 'prod'))?.holder).toBe('b');
  });

  it('renews only for the holder', async () => {
    const a = createLeases(store.db, { holder: 'a', clock });
    const b = createLeases(store.db, { holder: 'b', clock });
    expect(await a.renew('shop', 'prod', 10_000)).toBe(false); // nothing to renew
    await a.acquire('shop', 'prod', 10_000);
    clock.t += 8_000;
    expect(await b.renew('shop', 'prod', 60_000)).toBe(false);
    expect(await a.holderOf('shop', 'prod')).toEqual({ holder: 'a', expiresAt: 1_010_000 });
    expect(await a.renew('shop', 'prod', 10_000)).toBe(true);
    clock.t += 8_000; // past the first expiry, inside the renewed one
    expect(await b.acquire('shop', 'prod', 10_000)).toBe(false);
    expect(await a.holderOf('shop', 'prod')).toEqual({ holder: 'a', expiresAt: 1_018_000 });
  });

  it('has exactly one winner among many holders racing for a free lease', async () => {
    const holders = Array.from({ length: 8 }, (_, i) => createLeases(store.db, { holder: `h${i}`, clock }));
    const results = await Promise.all(holders.map((h) => h.acquire('shop', 'prod', 10_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = holders[results.indexOf(true)]!;
    expect((await winner.holderOf('shop', 'prod'))?.holder).toBe(winner.holder);
  });

  it('competes across two connections to the same file', async () => {
    const other = await openStore({ file: store.file });
    try {
      const a = createLeases(store.db, { holder: 'a', clock });
      const b = createLeases(other.db, { holder: 'b', clock });
      expect(await a.acquire('shop', 'prod', 10_000)).toBe(true);
      expect(await b.acquire('shop', 'prod', 10_000)).toBe(false);
      clock.t += 10_000;
      expect(await b.acquire('shop', 'prod', 10_000)).toBe(true);
      expect(await a.renew('shop', 'prod', 10_000)).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('rejects a bad ttl and an empty holder', async () => {
    const a = createLeases(store.db, { holder: 'a', clock });
    await expect(a.acquire('shop', 'prod', 0)).rejects.toBeInstanceOf(ValidationError);
    await expect(a.renew('shop', 'prod', 1.5)).rejects.toBeInstanceOf(ValidationError);
    expect(() => createLeases(store.db, { holder: '' })).toThrow(ValidationError);
  });
});
