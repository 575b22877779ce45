/**
 * What a release's watchers see: every event and status change of a release, committed to the
 * store first and then published to the subscribers of that release (SSE streams, `wait`).
 */
import type { Message } from '../../model/messages.js';
import { EventEmitter } from 'node:events';
import type { Release, ReleaseEvent, Releases } from '../releases.js';
import { ReleaseStatus } from '../../model/releaseStatus.js';
import { isoNow, systemClock, type EngineClock } from './clock.js';

/** What subscribers of a release see: its events as they are recorded, and its status changes. */
export type EngineUpdate = { type: 'event'; event: ReleaseEvent } | { type: 'release'; release: Release };

/** An event to record; its time is now when not given. */
export type NewEvent = Omit<ReleaseEvent, 'id' | 'releaseId' | 'time'> & { time?: string };

export interface ReleaseBus {
  /** Records an event of release `id` and publishes it. */
  record(id: number, e: NewEvent): Promise<void>;
  /** Sets the status of release `id` (and its reason) and publishes the release. */
  setStatus(id: number, status: ReleaseStatus, reason?: string | Message): Promise<Release>;
  /**
   * Finishes release `id`: its final status and closing event in one transaction, then publishes
   * the event and the release (a watcher that stops at the final status has seen the event).
   */
  finish(id: number, status: ReleaseStatus, reason: string | Message | undefined, e: NewEvent): Promise<Release>;
  subscribe(id: number, listener: (u: EngineUpdate) => void): () => void;
  /** Resolves once release `id` has finished, or when `signal` aborts (then with its current state). */
  finished(id: number, signal?: AbortSignal): Promise<Release>;
}

export const isFinished = (r: Release): boolean =>
  r.status === ReleaseStatus.succeeded || r.status === ReleaseStatus.failed;

export function createReleaseBus(releases: Releases, clock: EngineClock = systemClock): ReleaseBus {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const publish = (id: number, u: EngineUpdate): void => {
    bus.emit(String(id), u);
  };
  const subscribe = (id: number, listener: (u: EngineUpdate) => void): (() => void) => {
    bus.on(String(id), listener);
    return () => bus.off(String(id), listener);
  };

  const toStore = (id: number, e: NewEvent): Omit<ReleaseEvent, 'id'> => ({
    releaseId: id,
    time: e.time ?? isoNow(clock),
    service: e.service,
    type: e.type,
    reason: e.reason,
    message: e.message,
    ...(e.detail ? { detail: e.detail } : {}),
  });

  // Events recorded in the same turn of the event loop (a level's replicas starting, say) are
  // written in one transaction: with synchronous = FULL each commit syncs the WAL, and one commit
  // per event was most of the engine's time deploying a 100-service app. Status changes wait for
  // the events before them, so the store and the watchers see everything in the order it happened.
  let queue: { id: number; e: Omit<ReleaseEvent, 'id'>; done: (err?: unknown) => void }[] = [];
  let scheduled = false;
  /** The last batch write; batches are chained, so they commit and publish in order. */
  let tail: Promise<void> = Promise.resolve();
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    tail = tail
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(async () => {
        scheduled = false;
        const batch = queue;
        queue = [];
        try {
          const events = await releases.addEvents(batch.map((b) => b.e));
          batch.forEach((b, i) => {
            publish(b.id, { type: 'event', event: events[i]! });
            b.done();
          });
        } catch (err) {
          for (const b of batch) b.done(err);
        }
      });
  };
  /** Resolves once every event recorded so far is committed and published. */
  const drain = async (): Promise<void> => {
    let seen: Promise<void>;
    do {
      seen = tail;
      await seen;
    } while (seen !== tail);
  };

  return {
    record(id, e) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ id, e: toStore(id, e), done: (err) => (err === undefined ? resolve() : reject(err)) });
        schedule();
      });
    },

    async finish(id, status, reason, e) {
      await drain();
      const event = await releases.finish(id, status, reason, toStore(id, e));
      publish(id, { type: 'event', event });
      const r = await releases.get(id);
      publish(id, { type: 'release', release: r });
      return r;
    },

    async setStatus(id, status, reason) {
      await drain();
      await releases.setStatus(id, status, reason);
      const r = await releases.get(id);
      publish(id, { type: 'release', release: r });
      return r;
    },

    subscribe,

    async finished(id, signal) {
      for (;;) {
        const r = await releases.get(id);
        if (isFinished(r) || signal?.aborted) return r;
        await new Promise<void>((resolve) => {
          const off = subscribe(id, (u) => {
            if (u.type === 'release' && isFinished(u.release)) done();
          });
          const cancel = clock.setTimer(1000, done);
          const onAbort = (): void => done();
          signal?.addEventListener('abort', onAbort, { once: true });
          function done(): void {
            off();
            cancel();
            signal?.removeEventListener('abort', onAbort);
            resolve();
          }
        });
      }
    },
  };
}
