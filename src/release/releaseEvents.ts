/**
 * A release's events in the store: what the engine did and saw, in order. Written alone or in the
 * transaction that finishes a release (Releases.finish).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { encodeMessage, type Message } from '../model/messages.js';
import { eventMessageOf } from './storedMessages.js';

export interface ReleaseEvent {
  id: number;
  releaseId: number;
  time: string;
  service: string | null;
  type: string;
  reason: string;
  message: string;
  /** `message` as a code with params, for the console to translate (absent on events without one). */
  detail?: Message;
}

/** Records one event; `db` may be a transaction. */
export async function addEventIn(db: Kysely<Database>, e: Omit<ReleaseEvent, 'id'>): Promise<ReleaseEvent> {
  const row = await db
    .insertInto('release_events')
    .values({
      release_id: e.releaseId,
      time: e.time,
      service: e.service,
      type: e.type,
      reason: e.reason,
      // The column keeps the message's code with its text (decodeMessage reads either).
      message: encodeMessage(e.detail ?? e.message),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { ...e, id: row.id };
}

/** The events of a release after `afterId`, oldest first. */
export async function eventsOf(db: Kysely<Database>, releaseId: number, afterId = 0): Promise<ReleaseEvent[]> {
  const rows = await db
    .selectFrom('release_events')
    .selectAll()
    .where('release_id', '=', releaseId)
    .where('id', '>', afterId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    releaseId: r.release_id,
    time: r.time,
    service: r.service,
    type: r.type,
    reason: r.reason,
    ...eventMessageOf(r.message),
  }));
}
