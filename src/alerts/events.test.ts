/**
 * Event readings from a real store: releases failed and rolled back, job runs failed, cronjob due
 * times missed — each counted once, on the look after it was recorded, for its own app and environment.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.js';
import { eventReadings, type EventCursor } from './events.js';

describe('event readings', () => {
  let home: string;
  let store: Store;
  let revision = 0;

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'berth-events-'));
    store = await openStore({ file: path.join(home, 'berth.db') });
  });
  afterEach(async () => {
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  async function release(
    kind: 'deploy' | 'auto-rollback',
    status: 'failed' | 'succeeded',
    finishedAt: string,
    env = 'local',
  ) {
    await store.db
      .insertInto('releases')
      .values({
        app: 'shop',
        env,
        revision: ++revision,
        kind,
        status,
        reason: null,
        spec: '{}',
        spec_digest: 'd',
        spec_file: 'berth.yaml',
        config_version: 0,
        rendered: '{}',
        source_revision: null,
        author: 'test',
        message: null,
        started_at: finishedAt,
        finished_at: finishedAt,
      })
      .execute();
  }

  async function run(service: string, status: 'failed' | 'missed' | 'succeeded', endedAt: string | null) {
    await store.db
      .insertInto('job_runs')
      .values({
        app: 'shop',
        env: 'local',
        service,
        run_id: `${service}-${Math.random()}`,
        trigger: 'scheduled',
        status,
        due_at: '2026-12-06T08:00:00.000Z',
        started_at: endedAt,
        ended_at: endedAt,
        exit_code: status === 'failed' ? 1 : null,
        reason: null,
        replica: null,
      })
      .execute();
  }

  it('counts each event once, on the look after it happened, and nothing on the first look', async () => {
    await release('deploy', 'failed', '2026-12-06T08:59:00.000Z');
    let look = await eventReadings(store.db, 'shop', 'local', undefined, '2026-12-06T09:00:00.000Z');
    expect([...look.readings.keys()]).toEqual([]);
    let cursor: EventCursor = look.cursor;

    await release('deploy', 'failed', '2026-12-06T09:00:05.000Z');
    await release('auto-rollback', 'succeeded', '2026-12-06T09:00:07.000Z');
    await release('deploy', 'failed', '2026-12-06T09:00:06.000Z', 'staging');
    await run('migrate', 'failed', '2026-12-06T09:00:08.000Z');
    await run('report', 'missed', null);
    await run('report', 'missed', null);
    await run('report', 'succeeded', '2026-12-06T09:00:09.000Z');
    look = await eventReadings(store.db, 'shop', 'local', cursor, '2026-12-06T09:00:10.000Z');
    expect(Object.fromEntries(look.readings)).toEqual({
      'release-failed': [{ value: 1 }],
      'release-rolled-back': [{ value: 1 }],
      'job-failed': [{ service: 'migrate', value: 1 }],
      'cronjob-missed': [{ service: 'report', value: 2 }],
    });
    cursor = look.cursor;

    look = await eventReadings(store.db, 'shop', 'local', cursor, '2026-12-06T09:00:20.000Z');
    expect(Object.fromEntries(look.readings)).toEqual({
      'release-failed': [],
      'release-rolled-back': [],
      'job-failed': [],
      'cronjob-missed': [],
    });
  });

  it('counts a run once that ended before a look but was recorded after it, and nothing from before the first look', async () => {
    await run('migrate', 'failed', '2026-12-06T08:59:30.000Z');
    const first = await eventReadings(store.db, 'shop', 'local', undefined, '2026-12-06T09:00:00.000Z');
    // Ended at 09:00:04.9, noticed and written only after the look at 09:00:05.
    let look = await eventReadings(store.db, 'shop', 'local', first.cursor, '2026-12-06T09:00:05.000Z');
    expect(look.readings.get('job-failed')).toEqual([]);
    await run('report', 'failed', '2026-12-06T09:00:04.900Z');
    look = await eventReadings(store.db, 'shop', 'local', look.cursor, '2026-12-06T09:00:10.000Z');
    expect(look.readings.get('job-failed')).toEqual([{ service: 'report', value: 1 }]);
    look = await eventReadings(store.db, 'shop', 'local', look.cursor, '2026-12-06T09:00:15.000Z');
    expect(look.readings.get('job-failed')).toEqual([]);
  });
});
