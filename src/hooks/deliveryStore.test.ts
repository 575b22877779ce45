/**
 * The deliveries' table on a real SQLite file: an id is taken once per provider and app (a second
 * claim is a replay naming the first), a released id can be taken again, rows past the retention are
 * pruned when deliveries are written, and refused rows are capped per app.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.js';
import { REFUSED_KEPT_PER_APP, createHookDeliveries } from './deliveryStore.js';

describe('hook deliveries', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-hooks-'));
    store = await openStore({ file: join(dir, 'berth.db') });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const record = (deliveryId: string, app = 'shop', receivedAt = new Date().toISOString()) => ({
    provider: 'github',
    app,
    deliveryId,
    receivedAt,
    status: 202,
    outcome: 'received' as const,
  });

  it('takes an id once per provider and app; a released id is taken again', async () => {
    const d = createHookDeliveries(store.db);
    const first = await d.claim(record('a'));
    expect(first.taken).toBe(true);
    const again = await d.claim(record('a'));
    expect(again).toMatchObject({ taken: false, earlier: { deliveryId: 'a', outcome: 'received' } });
    expect((await d.claim(record('a', 'blog'))).taken).toBe(true);
    expect((await d.claim({ ...record('a'), provider: 'gitlab' })).taken).toBe(true);
    if (!first.taken) throw new Error('unreachable');
    await d.finish(first.id, { status: 500, outcome: 'failed', detail: 'x', release: true });
    expect((await d.claim(record('a'))).taken).toBe(true);
  });

  it('prunes rows older than the retention when deliveries are written', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const d = createHookDeliveries(store.db, { retentionMs: 24 * 3600_000, now: () => now });
    await d.claim(record('old', 'shop', new Date(now).toISOString()));
    now += 2 * 24 * 3600_000;
    await d.claim(record('new', 'shop', new Date(now).toISOString()));
    expect((await d.list({ limit: 10 })).map((r) => r.deliveryId)).toEqual(['new']);
    // The pruned id is forgotten: the retention is the replay bound (docs/webhooks.md).
    expect((await d.claim(record('old', 'shop', new Date(now).toISOString()))).taken).toBe(true);
  });

  it('keeps the newest refused deliveries of an app, up to the cap', async () => {
    const d = createHookDeliveries(store.db);
    const at = new Date().toISOString();
    const kept = await d.claim(record('accepted'));
    expect(kept.taken).toBe(true);
    for (let i = 0; i < REFUSED_KEPT_PER_APP + 5; i++)
      await d.refuse({
        provider: 'github',
        app: 'shop',
        receivedAt: at,
        status: 401,
        outcome: 'refused',
        detail: `n${i}`,
      });
    const rows = await d.list({ app: 'shop', limit: 2000 });
    expect(rows.filter((r) => r.outcome === 'refused')).toHaveLength(REFUSED_KEPT_PER_APP);
    expect(rows[0]!.detail).toBe(`n${REFUSED_KEPT_PER_APP + 4}`);
    expect(rows.some((r) => r.deliveryId === 'accepted')).toBe(true);
  });
});
