/**
 * A release step's message and a release's own message keep their code in the store (SQLite file),
 * so the console can say `2 replicas ready`, why the step failed or `scale web from 2 to 4` in its
 * language; a message without a code (an author's words, a row from before codes) reads as its text.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { message } from '../model/messages.js';
import { openStore, type Store } from '../store/store.js';
import { Releases } from './releases.js';
import { StepStatus } from '../model/releaseStatus.js';
import { createStoredRelease } from './testing/storedRelease.js';

const SPEC = 'name: shop\nservices:\n  web:\n    command: [node, server.js]\n  db:\n    command: [node, db.js]\n';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-steps-'));
  store = await openStore({ file: join(dir, 'berth.db') });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const create = (releases: Releases, msg?: string | ReturnType<typeof message>) =>
  createStoredRelease(releases, { spec: SPEC, ...(msg === undefined ? {} : { message: msg }) });

describe('release messages in the store', () => {
  it("a release's own message: Berth's coded, an author's words as they are", async () => {
    const releases = new Releases(store.db);
    const scale = message('revision.scale', { service: 'web', from: 2, to: 4 });
    const coded = await create(releases, scale);
    expect(coded).toMatchObject({ message: 'scale web from 2 to 4', messageDetail: scale });
    expect(await releases.get(coded.id)).toMatchObject({ message: 'scale web from 2 to 4', messageDetail: scale });
    const typed = await releases.get((await create(releases, 'fix the checkout')).id);
    expect(typed.message).toBe('fix the checkout');
    expect(typed.messageDetail).toBeUndefined();
    expect((await releases.get((await create(releases)).id)).message).toBeNull();
  });

  it('a step keeps its code; plain text stays text', async () => {
    const releases = new Releases(store.db);
    const rel = await create(releases);
    const ready = message('step.ready', { replicas: 2 });
    expect(ready.text).toBe('2 replicas ready');
    await releases.setStep(rel.id, 'web', StepStatus.succeeded, ready);
    await releases.setStep(rel.id, 'db', StepStatus.failed, 'db: the runtime was closed during converge');
    const steps = new Map((await releases.get(rel.id)).steps.map((s) => [s.service, s]));
    expect(steps.get('web')).toMatchObject({ message: '2 replicas ready', messageDetail: ready });
    expect(steps.get('db')!.message).toBe('db: the runtime was closed during converge');
    expect(steps.get('db')!.messageDetail).toBeUndefined();
  });
});
