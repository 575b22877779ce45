/**
 * Approval requests (docs/access.md, Approvals): the state machine and its runner. A request waits
 * (pending) until `required` people other than its author approved it; then it is run once, as its
 * author, by the executor the control plane gives (deploy, promote, rollback, config change). A
 * rejection, its expiry or its author's withdrawal ends it.
 *
 * Durable and run once: every move is a compare-and-set on the row's state, and the operation it
 * starts is marked with the request's id (`[approval #ID, …]` in the release or config version
 * message). An approved or running request found when the control plane starts is run then, unless
 * the executor finds the operation it had already started (then it is only recorded).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../store/schema.js';
import type { SecretBox } from '../config/secretBox.js';
import { ConflictError, ForbiddenError, ValidationError } from '../errors.js';
import type { ApprovalRequest, ApprovalResult } from '../model/approvals.js';
import { ApprovalStore, type ApprovalFilter, type NewApproval } from './approvalStore.js';

/** How long a request waits for its approvals unless told otherwise. */
export const DEFAULT_APPROVAL_TTL_MS = 24 * 3600_000;

/** How often pending requests are checked for expiry. */
const SWEEP_MS = 30_000;

/** Runs what an approved request asks for (the control plane's routes' own code). */
export interface ApprovalExecutor {
  /** Starts the operation as `a.author`, its message ending in `marker`; what it started. */
  run(a: ApprovalRequest, request: Record<string, unknown>, marker: string): Promise<ApprovalResult>;
  /** The operation a previous run started, found by `marker` (after a crash between starting it and recording it). */
  find(a: ApprovalRequest, marker: string): Promise<ApprovalResult | undefined>;
}

export interface ApprovalsDeps {
  db: Kysely<Database>;
  box: Pick<SecretBox, 'encrypt' | 'decrypt'>;
  executor: ApprovalExecutor;
  logger: Logger;
  now?: () => Date;
}

/** The text an operation started for request `a` carries, by which it is found again: `[approval #12, approved by rm, ops]`. */
export function markerOf(a: Pick<ApprovalRequest, 'id' | 'approvals'>): string {
  const by = a.approvals.map((v) => v.name).join(', ');
  return `[approval #${a.id}${by ? `, approved by ${by}` : ''}]`;
}

/** The prefix of every marker of request `id` (what `find` looks for). */
export function markerPrefix(id: number): string {
  return `[approval #${id}`;
}

export interface Approvals {
  create(a: Omit<NewApproval, 'expires'> & { ttlMs?: number }): Promise<ApprovalRequest>;
  get(id: number): Promise<ApprovalRequest>;
  list(f?: ApprovalFilter): Promise<ApprovalRequest[]>;
  /** `name`'s approval; once enough, the operation runs (resolves after it started). */
  approve(id: number, name: string, comment?: string): Promise<ApprovalRequest>;
  reject(id: number, name: string, reason: string): Promise<ApprovalRequest>;
  withdraw(id: number, name: string): Promise<ApprovalRequest>;
  /** Runs the approved requests a previous control plane left, and starts the expiry sweep. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createApprovals(deps: ApprovalsDeps): Approvals {
  const store = new ApprovalStore(deps.db, deps.box);
  const now = deps.now ?? (() => new Date());
  const running = new Map<number, Promise<void>>();
  // One change of a request at a time (two approvals arriving together both count); runs outside it.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(f: () => Promise<T>): Promise<T> => {
    const next = queue.then(f, f);
    queue = next.catch(() => undefined);
    return next;
  };
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const expire = () => store.expireDue(now());

  /** A pending request, expired first if its time is up; refused with 409 otherwise. */
  async function pending(id: number, doing: string): Promise<ApprovalRequest> {
    await expire();
    const a = await store.get(id);
    if (a.state !== 'pending')
      throw new ConflictError(`approval request #${id} is ${a.state}: it cannot be ${doing}`, {
        details: { id, state: a.state },
      });
    return a;
  }

  /** Runs an approved (or, after a restart, running) request once. */
  function run(id: number): Promise<void> {
    const inFlight = running.get(id);
    if (inFlight) return inFlight;
    const p = (async () => {
      let a = await store.get(id);
      if (a.state === 'approved') {
        if (!(await store.update(id, 'approved', { state: 'running' }, now()))) return;
        a = await store.get(id);
      } else if (a.state !== 'running') return;
      const marker = markerOf(a);
      try {
        const found = await deps.executor.find(a, markerPrefix(id));
        const result = found ?? (await deps.executor.run(a, await store.requestOf(id), marker));
        await store.update(id, 'running', { state: 'done', result }, now());
        deps.logger.info({ id, action: a.action, app: a.app, env: a.env, result }, 'approved request ran');
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await store.update(id, 'running', { state: 'failed', error: message }, now());
        deps.logger.warn({ id, action: a.action, app: a.app, env: a.env, err: message }, 'approved request failed');
      }
    })().finally(() => running.delete(id));
    running.set(id, p);
    return p;
  }

  /** Records `name`'s approval of pending request `id`; whether it now has enough. */
  async function vote(id: number, name: string, comment: string | undefined): Promise<boolean> {
    const a = await pending(id, 'approved');
    if (a.author === name)
      throw new ForbiddenError(
        `${name} asked for approval request #${id}: it needs approvals from people other than its author`,
        { details: { id, selfApproval: true } },
      );
    if (a.approvals.some((v) => v.name === name))
      throw new ConflictError(`${name} already approved request #${id}`, { details: { id } });
    const votes = [...a.approvals, { name, at: now().toISOString(), comment: comment ?? null }];
    const enough = votes.length >= a.required;
    if (!(await store.update(id, 'pending', { votes, ...(enough ? { state: 'approved' } : {}) }, now())))
      throw new ConflictError(`approval request #${id} changed meanwhile: try again`, { details: { id } });
    return enough;
  }

  return {
    async create(a) {
      if (!Number.isInteger(a.required) || a.required < 1)
        throw new ValidationError('invalid approval request', [
          { path: 'required', message: 'an approval request needs at least one approval' },
        ]);
      // One clock reading: a request lives exactly its time to live (two readings a millisecond apart
      // gave it 86,399,999 ms of a day's).
      const at = now();
      const expires = new Date(at.getTime() + (a.ttlMs ?? DEFAULT_APPROVAL_TTL_MS));
      const { ttlMs: _ttl, ...rest } = a;
      return store.create({ ...rest, expires }, at);
    },

    async get(id) {
      await expire();
      return store.get(id);
    },

    async list(f) {
      await expire();
      return store.list(f);
    },

    async approve(id, name, comment) {
      const enough = await serially(() => vote(id, name, comment));
      if (enough) await run(id);
      return store.get(id);
    },

    reject(id, name, reason) {
      return serially(async () => {
        await pending(id, 'rejected');
        if (!(await store.update(id, 'pending', { state: 'rejected', endedBy: name, endReason: reason }, now())))
          throw new ConflictError(`approval request #${id} changed meanwhile: try again`, { details: { id } });
        return store.get(id);
      });
    },

    withdraw(id, name) {
      return serially(async () => {
        const a = await pending(id, 'withdrawn');
        if (a.author !== name)
          throw new ForbiddenError(`only ${a.author}, who asked, may withdraw approval request #${id}`, {
            details: { id },
          });
        if (!(await store.update(id, 'pending', { state: 'withdrawn', endedBy: name }, now())))
          throw new ConflictError(`approval request #${id} changed meanwhile: try again`, { details: { id } });
        return store.get(id);
      });
    },
    async start() {
      await expire();
      for (const a of await store.inStates(['approved', 'running'])) {
        deps.logger.info({ id: a.id, state: a.state }, 'resuming an approved request');
        await run(a.id);
      }
      const sweep = () => {
        timer = setTimeout(() => {
          void expire()
            .catch((err: unknown) => deps.logger.warn({ err }, 'approval expiry sweep failed'))
            .finally(() => {
              if (!closed) sweep();
            });
        }, SWEEP_MS);
        timer.unref();
      };
      sweep();
    },

    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await Promise.allSettled([...running.values()]);
    },
  };
}
