/**
 * The per-(app, env) operation lock: one operation (a release, and the automatic rollback its
 * failure starts) at a time. It is held twice: in this process (a map, taken synchronously, so two
 * requests of the same control plane can never both win) and in the store (a lease that expires and
 * is renewed while the operation runs, so a control plane that dies does not block the (app, env)
 * forever, and a dead holder's lease is taken over at once).
 *
 * A second operation is refused with LockedError (HTTP 409) naming the running revision, or, when
 * its caller asks to wait, queued until the running one has finished. Nothing ever supersedes a
 * running operation: it ends by finishing, failing, or a deliberate cancel.
 */
import type { Logger } from 'pino';
import { LockedError, UnavailableError } from '../../errors.js';
import type { Leases } from '../../store/leases.js';
import type { Release } from '../releases.js';
import { every, sleep, type EngineClock } from './clock.js';

/** How a caller takes the lock. */
export interface AcquireOptions {
  /** Wait for the running operation to finish instead of being refused. */
  wait?: boolean;
  /** Gives up waiting (the caller went away). */
  signal?: AbortSignal;
}

/** One operation holding the lock of an (app, env). */
export interface Operation {
  readonly app: string;
  readonly env: string;
  /** The release being run now (the operation's own, then its automatic rollback). */
  release: Release | undefined;
  /** Cancels `release` (not the rollback that may follow it): set by execute for each release it runs. */
  cancel: AbortController | undefined;
  /** Resolves once the lock is given up. */
  readonly done: Promise<void>;
}

export interface OperationLock {
  /** Takes the lock of (app, env); LockedError when it is held and the caller does not wait. */
  acquire(app: string, env: string, opts?: AcquireOptions): Promise<Operation>;
  /** Runs `body` holding `op` (the lease renewed meanwhile), then gives the lock up. */
  hold(op: Operation, body: () => Promise<void>): void;
  /** Gives up a lock taken but not held (what was to run under it failed before it started). */
  giveUp(op: Operation): Promise<void>;
  /** The operation holding the lock of (app, env) in this process. */
  current(app: string, env: string): Operation | undefined;
  /** Every operation held now, each as the promise of its end. */
  running(): Promise<void>[];
}

export interface OperationLockDeps {
  leases: Leases;
  isHolderAlive(holder: string): boolean;
  logger: Logger;
  leaseTtlMs: number;
  /** Aborts every wait when the control plane stops. */
  closing: AbortSignal;
  /** Times the renewals and the polls of a foreign lease. */
  clock: EngineClock;
}

interface Held extends Operation {
  finish(): void;
}

const keyOf = (app: string, env: string): string => `${app}/${env}`;

/** How often a waiter looks again when another process (not this one) holds the lease. */
const FOREIGN_POLL_MS = 1000;

export function createOperationLock(deps: OperationLockDeps): OperationLock {
  const held = new Map<string, Held>();

  function take(app: string, env: string): Held {
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const op: Held = { app, env, release: undefined, cancel: undefined, done, finish };
    held.set(keyOf(app, env), op);
    return op;
  }

  function drop(op: Held): void {
    if (held.get(keyOf(op.app, op.env)) === op) held.delete(keyOf(op.app, op.env));
    op.finish();
  }

  /** The lease in the store: free, expired, ours, or a dead holder's (then broken and taken). */
  async function takeLease(app: string, env: string): Promise<string | undefined> {
    if (await deps.leases.acquire(app, env, deps.leaseTtlMs)) return undefined;
    const holder = await deps.leases.holderOf(app, env);
    if (holder && !deps.isHolderAlive(holder.holder)) {
      await deps.leases.release(app, env, holder.holder);
      if (await deps.leases.acquire(app, env, deps.leaseTtlMs)) return undefined;
    }
    return holder?.holder ?? 'another control plane';
  }

  function refusal(app: string, env: string, op: Operation | undefined, foreign?: string): LockedError {
    const r = op?.release;
    const what = r
      ? `revision ${r.revision} (${r.kind} by ${r.author}, ${r.status}) is in progress`
      : foreign
        ? `another control plane (${foreign}) is running an operation on it`
        : 'another operation is starting';
    return new LockedError(
      `${app} in ${env}: ${what}; retry when it has finished, queue behind it with --wait (API: "wait": true), or end it with \`berth cancel ${app} -e ${env}\``,
      // `running` says what is under way in words, for a client that waits behind it (`--wait`).
      { details: { app, env, running: what, ...(r ? { revision: r.revision, kind: r.kind, status: r.status } : {}) } },
    );
  }

  async function until(p: Promise<unknown>, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      void p.then(done, done);
    });
  }

  return {
    async acquire(app, env, opts = {}) {
      const signal = opts.signal ? AbortSignal.any([opts.signal, deps.closing]) : deps.closing;
      for (;;) {
        if (deps.closing.aborted) throw new UnavailableError('the control plane is stopping');
        if (signal.aborted) throw new LockedError(`${app} in ${env}: gave up waiting for the operation in progress`);
        const cur = held.get(keyOf(app, env));
        if (cur) {
          if (!opts.wait) throw refusal(app, env, cur);
          await until(cur.done, signal);
          continue;
        }
        // Taken synchronously before the first await: a concurrent request of this process sees it.
        const op = take(app, env);
        let foreign: string | undefined;
        try {
          foreign = await takeLease(app, env);
        } catch (err) {
          drop(op);
          throw err;
        }
        if (foreign === undefined) return op;
        drop(op);
        if (!opts.wait) throw refusal(app, env, undefined, foreign);
        await sleep(deps.clock, FOREIGN_POLL_MS, signal, { unref: true });
      }
    },

    hold(op, body) {
      const h = op as Held;
      const stopRenewing = every(deps.clock, Math.max(1000, deps.leaseTtlMs / 3), () => {
        deps.leases
          .renew(op.app, op.env, deps.leaseTtlMs)
          .catch((err: unknown) => deps.logger.warn({ err }, 'lease renewal failed'));
      });
      void (async () => {
        try {
          await body();
        } catch (err) {
          deps.logger.error({ err, app: op.app, env: op.env, release: op.release?.id }, 'release engine failure');
        } finally {
          stopRenewing();
          await deps.leases.release(op.app, op.env).catch(() => undefined);
          drop(h);
        }
      })();
    },

    async giveUp(op) {
      await deps.leases.release(op.app, op.env).catch(() => undefined);
      drop(op as Held);
    },

    current(app, env) {
      return held.get(keyOf(app, env));
    },

    running() {
      return [...held.values()].map((h) => h.done);
    },
  };
}
