/**
 * A release's final status and its closing event are one transaction (Releases.finish): when the
 * event cannot be written the status is not changed either, so a crash between the two can never
 * leave a finished release without its last event (the resume finishes a `running` release).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.js';
import { Releases } from './releases.js';
import { ReleaseStatus } from '../model/releaseStatus.js';
import { createStoredRelease } from './testing/storedRelease.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-finish-'));
  store = await openStore({ file: join(dir, 'berth.db') });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function running(releases: Releases) {
  const r = await createStoredRelease(releases, {
    spec: 'name: shop\nservices:\n  web:\n    command: [node, server.js]\n',
  });
  await releases.setStatus(r.id, ReleaseStatus.running);
  return r;
}

const event = (releaseId: number) => ({
  releaseId,
  time: new Date().toISOString(),
  service: null,
  type: 'Normal',
  reason: 'Succeeded',
  message: 'revision 1 is live',
});

describe('Releases.finish', () => {
  it('writes the final status and the closing event together', async () => {
    const releases = new Releases(store.db);
    const r = await running(releases);
    const e = await releases.finish(r.id, ReleaseStatus.succeeded, undefined, event(r.id));
    const after = await releases.get(r.id);
    expect(after.status).toBe(ReleaseStatus.succeeded);
    expect(after.finishedAt).not.toBeNull();
    expect((await releases.events(r.id)).map((x) => [x.id, x.reason])).toEqual([[e.id, 'Succeeded']]);
  });

  it('changes nothing when the event cannot be written', async () => {
    const releases = new Releases(store.db);
    const r = await running(releases);
    // the event's insert fails inside the transaction, as a crash between the two writes would cut it
    store.sqlite.exec(
      "CREATE TRIGGER no_events BEFORE INSERT ON release_events BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    await expect(releases.finish(r.id, ReleaseStatus.failed, 'boom', event(r.id))).rejects.toThrow(/disk full/);
    const after = await releases.get(r.id);
    expect(after.status).toBe(ReleaseStatus.running);
    expect(after.finishedAt).toBeNull();
    expect(await releases.events(r.id)).toEqual([]);
  });
});
