/**
 * The alert history's retention on a real SQLite file: entries older than the age go, and past the
 * count per app and environment the oldest go, another app's entries untouched.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.js';
import { createAlertHistory, DEFAULT_HISTORY_RETENTION, type NewHistoryEntry } from './history.js';

describe('the alert history', () => {
  let home: string;
  let store: Store;
  const t0 = Date.parse('2026-12-06T09:00:00Z');
  const entry = (app: string, atMs: number, rule = 'errors'): NewHistoryEntry => ({
    app,
    env: 'local',
    rule,
    kind: 'firing',
    at: new Date(atMs).toISOString(),
  });

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'berth-history-'));
    store = await openStore({ file: path.join(home, 'berth.db') });
  });
  afterEach(async () => {
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  it('keeps 30 days and 10,000 entries per app and environment by default', () => {
    expect(DEFAULT_HISTORY_RETENTION).toEqual({ maxAgeMs: 30 * 86_400_000, maxEntries: 10_000 });
  });

  it('prunes entries past the age and the oldest past the count', async () => {
    const history = createAlertHistory(store.db, { maxAgeMs: 3_600_000, maxEntries: 3 });
    await history.record([entry('shop', t0 - 2 * 3_600_000, 'old')]);
    await history.record([0, 1, 2, 3, 4].map((i) => entry('shop', t0 + i * 1000, `r${i}`)));
    await history.record([entry('blog', t0), entry('blog', t0 + 1000)]);
    expect(await history.prune(t0 + 5000)).toBe(3);
    const rules = async (app: string) => (await history.query({ app, env: 'local', limit: 100 })).map((e) => e.rule);
    expect(await rules('shop')).toEqual(['r4', 'r3', 'r2']);
    expect(await rules('blog')).toHaveLength(2);
    expect(await history.prune(t0 + 5000)).toBe(0);
  });
});
