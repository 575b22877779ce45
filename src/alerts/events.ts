/**
 * Readings of the event metrics from the store, where the release engine and the cron scheduler
 * record them first: releases that failed or were rolled back, and job runs that failed, each
 * finished after the previous look; and cronjob due times missed (rows newer than the last one
 * seen, since a missed time is recorded after the fact). Counts per look: an event alert fires on
 * the look that saw one and resolves on the next without one.
 */
import type { Kysely } from 'kysely';
import { ReleaseKind, ReleaseStatus } from '../model/releaseStatus.js';
import type { Database } from '../store/schema.js';
import type { Reading, Readings } from './readings.js';

/**
 * Where the previous look stopped: a time for finished things, the last job_runs id for missed ones.
 * A finished time is when the thing ended, which can be a moment before its row is written (a run's
 * exit is recorded once noticed), so each look reads `LOOKBACK_MS` further back and skips what it
 * already counted: `counted` holds the finished releases (revision) and failed runs (id) of that span.
 */
export interface EventCursor {
  sinceIso: string;
  lastRunId: number;
  counted: ReadonlySet<string>;
}

/** How far before the previous look a finished event is still looked for. */
export const LOOKBACK_MS = 60_000;

/** Counts per service (or for the app, under no service). */
function counted(services: readonly (string | undefined)[]): Reading[] {
  const by = new Map<string | undefined, number>();
  for (const s of services) by.set(s, (by.get(s) ?? 0) + 1);
  return [...by].map(([service, value]) => (service === undefined ? { value } : { service, value }));
}

/**
 * The events of `app` in `env` after `previous` up to `untilIso`, and the cursor for the next look.
 * Without a cursor (the first look) nothing counts: only what happens while the control plane watches.
 */
export async function eventReadings(
  db: Kysely<Database>,
  app: string,
  env: string,
  previous: EventCursor | undefined,
  untilIso: string,
): Promise<{ readings: Readings; cursor: EventCursor }> {
  const runs = db.selectFrom('job_runs').where('app', '=', app).where('env', '=', env);
  // The first look counts nothing, but takes note of what finished within the lookback, so the next does not count it.
  const cursor: EventCursor = previous ?? {
    sinceIso: untilIso,
    lastRunId: Number((await runs.select(db.fn.max('id').as('id')).executeTakeFirst())?.id ?? 0),
    counted: new Set(),
  };
  const fromIso = new Date(Date.parse(cursor.sinceIso) - LOOKBACK_MS).toISOString();
  const keepFromIso = new Date(Date.parse(untilIso) - LOOKBACK_MS).toISOString();
  const counting = new Set<string>();
  /** Whether a finished event is new to this look; remembered while within the lookback of the next. */
  const fresh = (key: string, finishedIso: string): boolean => {
    if (finishedIso > keepFromIso) counting.add(key);
    return !cursor.counted.has(key);
  };
  // One look at the job runs: those that failed in the window, and every row recorded since the last look.
  const rows = await runs
    .select(['id', 'service', 'status', 'ended_at'])
    .where((w) =>
      w.or([
        w('id', '>', cursor.lastRunId),
        w.and([w('status', '=', 'failed'), w('ended_at', '>', fromIso), w('ended_at', '<=', untilIso)]),
      ]),
    )
    .execute();
  const failed = rows.filter(
    (r) =>
      r.status === 'failed' &&
      r.ended_at !== null &&
      r.ended_at > fromIso &&
      r.ended_at <= untilIso &&
      fresh(`run:${r.id}`, r.ended_at),
  );
  const missed = rows.filter((r) => r.status === 'missed' && r.id > cursor.lastRunId);
  const releases = await db
    .selectFrom('releases')
    .select(['revision', 'kind', 'status', 'finished_at'])
    .where('app', '=', app)
    .where('env', '=', env)
    .where('finished_at', '>', fromIso)
    .where('finished_at', '<=', untilIso)
    .execute()
    .then((all) => all.filter((r) => fresh(`release:${r.revision}`, r.finished_at!)));
  const rolledBack = (k: string): boolean => k === ReleaseKind.rollback || k === ReleaseKind.autoRollback;
  const readings: Readings = new Map([
    ['release-failed', counted(releases.filter((r) => r.status === ReleaseStatus.failed).map(() => undefined))],
    [
      'release-rolled-back',
      counted(releases.filter((r) => rolledBack(r.kind) && r.status === ReleaseStatus.succeeded).map(() => undefined)),
    ],
    ['job-failed', counted(failed.map((r) => r.service))],
    ['cronjob-missed', counted(missed.map((r) => r.service))],
  ]);
  const lastRunId = rows.reduce((m, r) => Math.max(m, r.id), cursor.lastRunId);
  const next: EventCursor = { sinceIso: untilIso, lastRunId, counted: counting };
  return { readings: previous === undefined ? new Map() : readings, cursor: next };
}
