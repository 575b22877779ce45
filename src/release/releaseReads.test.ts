/**
 * The current and unfinished releases are read again only after the release records changed
 * (Releases memoizes them: the cron scheduler and the autoscaler ask every second): a write through
 * the same Releases, or a commit by another connection to the same file, is seen by the next read.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataVersionOf, openStore, type Store } from '../store/store.js';
import { Releases } from './releases.js';
import { ReleaseStatus } from '../model/releaseStatus.js';
import { createStoredRelease } from './testing/storedRelease.js';

const SPEC = 'name: shop\nservices:\n  web:\n    command: [node, server.js]\n';
let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-release-reads-'));
  store = await openStore({ file: join(dir, 'berth.db') });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const summary = (list: { app: string; revision: number; status: string }[]) =>
  list.map((r) => `${r.app}@${r.revision}:${r.status}`);

// data_version through a prepared statement (the daemon's) and through Kysely (the fallback).
describe.each([
  ['a prepared statement', (s: Store) => new Releases(s.db, dataVersionOf(s.sqlite))],
  ['Kysely', (s: Store) => new Releases(s.db)],
] as const)('Releases.active and unfinished, data_version through %s', (_how, releasesOf) => {
  it('follow every write through the same Releases', async () => {
    const releases = releasesOf(store);
    expect(await releases.active()).toEqual([]);
    const r1 = await createStoredRelease(releases, { spec: SPEC });
    expect(summary(await releases.unfinished())).toEqual(['shop@1:pending']);
    expect(await releases.active()).toEqual([]);
    await releases.setStatus(r1.id, ReleaseStatus.running);
    expect(summary(await releases.unfinished())).toEqual(['shop@1:running']);
    await releases.setStatus(r1.id, ReleaseStatus.succeeded);
    expect(summary(await releases.active())).toEqual(['shop@1:succeeded']);
    expect(await releases.unfinished()).toEqual([]);
    const r2 = await createStoredRelease(releases, { spec: SPEC, revision: 2 });
    await releases.setStatus(r2.id, ReleaseStatus.succeeded);
    expect(summary(await releases.active())).toEqual(['shop@2:succeeded']);
  });

  it('see a commit made by another connection to the same database', async () => {
    const releases = releasesOf(store);
    const r1 = await createStoredRelease(releases, { spec: SPEC });
    await releases.setStatus(r1.id, ReleaseStatus.succeeded);
    expect(summary(await releases.active())).toEqual(['shop@1:succeeded']);
    const other = await openStore({ file: join(dir, 'berth.db') });
    try {
      const r2 = await createStoredRelease(new Releases(other.db), { spec: SPEC, app: 'cart' });
      await new Releases(other.db).setStatus(r2.id, ReleaseStatus.succeeded);
    } finally {
      await other.close();
    }
    expect(summary(await releases.active()).sort()).toEqual(['cart@1:succeeded', 'shop@1:succeeded']);
  });
});

describe('Releases.active and unfinished', () => {
  it('give each caller its own list', async () => {
    const releases = new Releases(store.db);
    const r1 = await createStoredRelease(releases, { spec: SPEC });
    await releases.setStatus(r1.id, ReleaseStatus.succeeded);
    const a = await releases.active();
    a.pop();
    expect(summary(await releases.active())).toEqual(['shop@1:succeeded']);
  });

  it('read a release without its spec and rendered documents, and content with them', async () => {
    const releases = new Releases(store.db);
    const r1 = await createStoredRelease(releases, { spec: SPEC });
    const got = await releases.get(r1.id);
    expect(got).not.toHaveProperty('spec');
    expect(got).not.toHaveProperty('rendered');
    const content = await releases.content(r1.id);
    expect(Object.keys(content.rendered.services)).toEqual(['web']);
    expect(content.release).toEqual(got);
  });
});
