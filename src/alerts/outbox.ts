/**
 * Durable delivery of notifications. A notification is written to the outbox (one row per channel,
 * in one transaction) before anything is sent, and its row is deleted only after the receiver took
 * it (a 2xx, and for chat robots a zero error code). A failed try is recorded with its reason and
 * retried with exponential backoff (1 s, 2 s, 4 s … capped at 5 min by default), so a control plane
 * killed between the write and the send delivers on its next start: at least once, never lost.
 * Rows are tried in order of their due time; one pass runs at a time. A row that still fails after
 * `maxAttempts` tries, or whose last try came `maxAgeMs` after it was written (defaults: 20 tries,
 * 24 h), is given up: it leaves the outbox and the alert history records it undelivered with its
 * last error. Each delivered row is recorded in the history too, with the tries it took.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { SecretBox } from '../config/secretBox.js';
import type { Database } from '../store/schema.js';
import { Channel } from './channel.js';
import { requestFor, verdictOf, type OutgoingRequest } from './formatters/index.js';
import type { Notification } from './notification.js';
import { insertHistory, type NewHistoryEntry } from './history.js';

/** A receiver's answer. */
export interface Answer {
  status: number;
  body: string;
}

/** Sends one request; the default is fetch with a timeout. Throws when nothing answered. */
export type Send = (request: OutgoingRequest) => Promise<Answer>;

/** How long to wait before the next try: `initialMs`, doubling per failed try, at most `maxMs`. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 300_000 };

/** When a notification is given up: after this many failed tries, or a failed try this long after it was written. */
export interface GiveUp {
  maxAttempts: number;
  maxAgeMs: number;
}

export const DEFAULT_GIVE_UP: GiveUp = { maxAttempts: 20, maxAgeMs: 86_400_000 };

/** The wait after `attempts` failed tries (1 → initialMs, 2 → 2 × initialMs, …). */
export function backoffMs(attempts: number, b: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, attempts - 1));
}

/** A notification waiting in the outbox, as people see it (no channel URL or secret). */
export interface PendingNotification {
  id: number;
  app: string;
  env: string;
  rule: string;
  channel: Channel['type'];
  status: Notification['status'];
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
}

export interface OutboxOptions {
  db: Kysely<Database>;
  box: SecretBox;
  /** Epoch ms; injectable so tests control time. */
  now?: () => number;
  send?: Send;
  backoff?: Backoff;
  giveUp?: GiveUp;
  /**
   * The shortest wait between two looks of a started outbox while rows wait (it sleeps until the
   * earliest is due, and wakes on every enqueue). Default 1 s.
   */
  pollMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export interface Outbox {
  /** Writes a notification for each channel; once this resolves it will be delivered. Returns the row ids. */
  enqueue(n: Notification, channels: readonly Channel[]): Promise<number[]>;
  /** Tries every due row once; how many were delivered, failed (to be retried) and given up. */
  deliverDue(): Promise<PassResult>;
  /** What waits, oldest first. */
  pending(): Promise<PendingNotification[]>;
  /** Delivers in the background until stop(). */
  start(): void;
  /** Stops the background loop and waits for a pass under way. */
  stop(): Promise<void>;
}

/** What one pass over the due rows did. */
export interface PassResult {
  delivered: number;
  failed: number;
  givenUp: number;
}

const REQUEST_TIMEOUT_MS = 10_000;
/** Between looks of a started outbox that is empty: it wakes on every enqueue (an idle control plane made one query a second here). */
const EMPTY_LOOK_MS = 60_000;

/** fetch with a timeout: a receiver that never answers is a failed try, not a stuck outbox. */
export const fetchSend: Send = async (r) => {
  const res = await fetch(r.url, {
    method: 'POST',
    headers: r.headers,
    body: r.body,
    redirect: 'error',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, body: await res.text() };
};

/** The outbox in `db`, channels sealed with `box`. */
export function createOutbox(o: OutboxOptions): Outbox {
  const now = o.now ?? Date.now;
  const send = o.send ?? fetchSend;
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  const giveUp = o.giveUp ?? DEFAULT_GIVE_UP;
  const pollMs = o.pollMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<PassResult> | undefined;
  let again = false;
  let stopped = true;

  /** The history entry of a row's outcome. */
  const outcome = (
    row: { app: string; env: string; rule: string },
    n: Notification,
    channel: Channel,
    kind: 'delivered' | 'undelivered',
    attempts: number,
    error?: string,
  ): NewHistoryEntry => ({
    app: row.app,
    env: row.env,
    rule: row.rule,
    ...(n.service !== undefined ? { service: n.service } : {}),
    kind,
    at: new Date(now()).toISOString(),
    status: n.status,
    channel: channel.type,
    attempts,
    ...(error !== undefined ? { error } : {}),
    startsAt: n.startsAt,
  });

  /** Removes a row and records what became of it, together. */
  const settle = (id: number, entry: NewHistoryEntry): Promise<void> =>
    o.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('alert_outbox').where('id', '=', id).execute();
      await insertHistory(tx, [entry]);
    });

  async function pass(): Promise<PassResult> {
    const result: PassResult = { delivered: 0, failed: 0, givenUp: 0 };
    const rows = await o.db
      .selectFrom('alert_outbox')
      .selectAll()
      .where('next_attempt_at', '<=', now())
      .orderBy('next_attempt_at')
      .orderBy('id')
      .execute();
    for (const row of rows) {
      const channel = Channel.parse(JSON.parse(o.box.decrypt(row.channel)));
      const notification = JSON.parse(row.notification) as Notification;
      const attempts = row.attempts + 1;
      let reason: string;
      try {
        const answer = await send(requestFor(channel, notification, now()));
        const verdict = verdictOf(channel, answer.status, answer.body);
        if (verdict.ok) {
          await settle(row.id, outcome(row, notification, channel, 'delivered', attempts));
          result.delivered++;
          continue;
        }
        reason = verdict.reason;
      } catch (err) {
        reason = err instanceof Error ? `${err.message}${causeOf(err)}` : String(err);
      }
      reason = reason.slice(0, 500);
      const log = { app: row.app, env: row.env, rule: row.rule, channel: channel.type, attempts, reason };
      if (attempts >= giveUp.maxAttempts || now() - Date.parse(row.created_at) >= giveUp.maxAgeMs) {
        await settle(row.id, outcome(row, notification, channel, 'undelivered', attempts, reason));
        result.givenUp++;
        o.logger?.warn(log, 'alert notification given up');
        continue;
      }
      await o.db
        .updateTable('alert_outbox')
        .set({ attempts, next_attempt_at: now() + backoffMs(attempts, backoff), last_error: reason })
        .where('id', '=', row.id)
        .execute();
      result.failed++;
      o.logger?.warn(log, 'alert notification not delivered; will retry');
    }
    return result;
  }

  function deliverDue(): Promise<PassResult> {
    if (running) {
      again = true;
      return running;
    }
    running = pass().finally(() => {
      running = undefined;
      if (again && !stopped) {
        again = false;
        void deliverDue().catch(() => undefined);
      }
    });
    return running;
  }

  /** When the earliest waiting row is due (epoch ms); undefined when the outbox is empty. */
  const nextDue = async (): Promise<number | undefined> => {
    const row = await o.db
      .selectFrom('alert_outbox')
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  };

  // One loop: a pass, then a sleep until the earliest row is due (an empty outbox sleeps until an
  // enqueue). A wake-up while the loop is in a pass runs one more pass after it, never a second loop.
  let looping = false;
  let wakeAgain = false;
  const tick = (): void => {
    if (stopped) return;
    if (looping) {
      wakeAgain = true;
      return;
    }
    looping = true;
    clearTimeout(timer);
    timer = undefined;
    void deliverDue()
      .then(() => nextDue())
      .catch((err: unknown) => {
        o.logger?.warn({ err }, 'alert outbox pass failed');
        return now() + pollMs;
      })
      .then((due) => {
        looping = false;
        if (stopped) return;
        if (wakeAgain) {
          wakeAgain = false;
          tick();
          return;
        }
        // The fallback look of an empty outbox only bounds a row written some other way.
        const waitMs = due === undefined ? EMPTY_LOOK_MS : Math.min(EMPTY_LOOK_MS, Math.max(pollMs, due - now()));
        timer = setTimeout(tick, waitMs);
      });
  };

  return {
    async enqueue(n, channels) {
      if (channels.length === 0) return [];
      const at = new Date(now()).toISOString();
      const rows = channels.map((c) => ({
        app: n.app,
        env: n.env,
        rule: n.rule,
        channel: o.box.encrypt(JSON.stringify(c)),
        notification: JSON.stringify(n),
        next_attempt_at: now(),
        created_at: at,
      }));
      const inserted = await o.db.insertInto('alert_outbox').values(rows).returning('id').execute();
      // The loop may be sleeping (on an empty outbox, or until a later row is due): it looks now.
      if (!stopped) tick();
      return inserted.map((r) => r.id);
    },
    deliverDue,
    async pending() {
      const rows = await o.db.selectFrom('alert_outbox').selectAll().orderBy('id').execute();
      return rows.map((row) => ({
        id: row.id,
        app: row.app,
        env: row.env,
        rule: row.rule,
        channel: Channel.parse(JSON.parse(o.box.decrypt(row.channel))).type,
        status: (JSON.parse(row.notification) as Notification).status,
        attempts: row.attempts,
        nextAttemptAt: new Date(row.next_attempt_at).toISOString(),
        lastError: row.last_error,
        createdAt: row.created_at,
      }));
    },
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** fetch's "fetch failed" says why only in its cause (ECONNREFUSED, a timeout). */
function causeOf(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `: ${cause.message}` : '';
}
