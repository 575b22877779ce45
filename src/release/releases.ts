/**
 * The release records: revisions, their steps and their events, in the store. Every state change of
 * the engine goes through here and is committed before the engine acts on it.
 */
import { upgradeStoredSpec } from '../spec/stored.js';
import { upgradeStoredRendering } from './storedRendering.js';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { NotFoundError } from '../errors.js';
import type { AppSpec } from '../spec/schema.js';
import type { RenderedRelease } from './rendered.js';

import { ReleaseKind, ReleaseStatus, StepStatus } from '../model/releaseStatus.js';
import { encodeMessage } from '../model/messages.js';
import { RELEASE_COLUMNS, releaseOf, type ReleaseRow } from './releaseRows.js';
import { addEventIn, eventsOf, type ReleaseEvent } from './releaseEvents.js';

export type { ReleaseEvent } from './releaseEvents.js';
export type {
  Release,
  CancelRequest,
  PromotedFrom,
  ReleaseOptions,
  ReleaseStep,
  StepCommand,
  StepProgress,
} from './releaseTypes.js';
import type { CancelRequest, Release, ReleaseOptions, StepCommand, StepProgress } from './releaseTypes.js';
import type { Message } from '../model/messages.js';

/** A release with its full content, for the engine and diffs. */
export interface ReleaseContent {
  release: Release;
  spec: AppSpec;
  rendered: RenderedRelease;
}

export interface NewRelease {
  app: string;
  env: string;
  kind: ReleaseKind;
  spec: AppSpec;
  specDigest: string;
  specFile: string;
  configVersion: number;
  rendered: RenderedRelease;
  sourceRevision?: number;
  rollbackPolicy: 'auto' | 'none';
  options?: ReleaseOptions;
  author: string;
  message?: string | Message;
}

const now = (): string => new Date().toISOString();

async function setStatusIn(
  db: Kysely<Database>,
  id: number,
  status: ReleaseStatus,
  reason?: string | Message,
): Promise<void> {
  const t = now();
  await db
    .updateTable('releases')
    .set({
      status,
      ...(reason === undefined ? {} : { reason: encodeMessage(reason) }),
      ...(status === ReleaseStatus.running ? { started_at: t } : {}),
      ...(status === ReleaseStatus.succeeded || status === ReleaseStatus.failed ? { finished_at: t } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** Typed access to releases, steps and events. */
export class Releases {
  private readonly db: Kysely<Database>;
  /** Writes through this instance so far: what memoized reads are checked against. */
  private writeCount = 0;
  private readonly memo = new Map<string, { writes: number; dataVersion: number; read: Promise<Release[]> }>();
  private readonly changeListeners = new Set<() => void>();
  /** SQLite's data_version through a prepared statement (src/store dataVersionOf); absent: a PRAGMA through Kysely. */
  private readonly dataVersion: (() => number) | undefined;
  constructor(db: Kysely<Database>, dataVersion?: () => number) {
    this.db = db;
    this.dataVersion = dataVersion;
  }

  /** Creates revision N+1 with its steps, atomically. */
  async create(r: NewRelease): Promise<Release> {
    const id = await this.wrote(
      this.db.transaction().execute(async (tx) => {
        // Checked in the write transaction that creates the release, which an environment's delete
        // (checking that nothing runs there) also takes: the two never interleave.
        const env = await tx.selectFrom('environments').select('name').where('name', '=', r.env).executeTakeFirst();
        if (!env)
          throw new NotFoundError(
            `environment ${r.env} does not exist (deleted?); create it with \`berth env create ${r.env}\``,
          );
        await tx
          .insertInto('apps')
          .values({ name: r.app, created_at: now() })
          .onConflict((oc) => oc.doNothing())
          .execute();
        const last = await tx
          .selectFrom('releases')
          .select((eb) => eb.fn.max('revision').as('rev'))
          .where('app', '=', r.app)
          .where('env', '=', r.env)
          .executeTakeFirst();
        const revision = Number(last?.rev ?? 0) + 1;
        const inserted = await tx
          .insertInto('releases')
          .values({
            app: r.app,
            env: r.env,
            revision,
            kind: r.kind,
            status: ReleaseStatus.pending,
            reason: null,
            spec: JSON.stringify(r.spec),
            spec_digest: r.specDigest,
            spec_file: r.specFile,
            config_version: r.configVersion,
            rendered: JSON.stringify(r.rendered),
            source_revision: r.sourceRevision ?? null,
            author: r.author,
            message: r.message === undefined ? null : encodeMessage(r.message),
            created_at: now(),
            started_at: null,
            finished_at: null,
            rollback_policy: r.rollbackPolicy,
            options: JSON.stringify(r.options ?? {}),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const steps = r.rendered.levels.flatMap((names, level) =>
          names.map((service) => ({
            release_id: inserted.id,
            service,
            level,
            status: StepStatus.pending,
            message: null,
            started_at: null,
            finished_at: null,
          })),
        );
        if (steps.length > 0) await tx.insertInto('release_steps').values(steps).execute();
        return inserted.id;
      }),
    );
    return this.get(id);
  }

  async get(id: number): Promise<Release> {
    const row = await this.db.selectFrom('releases').select(RELEASE_COLUMNS).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`release ${id} not found`);
    return this.toRelease(row);
  }

  async byRevision(app: string, env: string, revision: number): Promise<Release> {
    const row = await this.db
      .selectFrom('releases')
      .select(RELEASE_COLUMNS)
      .where('app', '=', app)
      .where('env', '=', env)
      .where('revision', '=', revision)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`${app}/${env} has no revision ${revision}`, { details: { app, env, revision } });
    return this.toRelease(row);
  }

  async content(id: number): Promise<ReleaseContent> {
    const row = await this.db.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`release ${id} not found`);
    return {
      release: await this.toRelease(row),
      spec: upgradeStoredSpec(JSON.parse(row.spec) as AppSpec),
      rendered: upgradeStoredRendering(JSON.parse(row.rendered) as RenderedRelease),
    };
  }

  /** Newest first. */
  async list(app: string, env: string, limit = 100): Promise<Release[]> {
    const rows = await this.db
      .selectFrom('releases')
      .select(RELEASE_COLUMNS)
      .where('app', '=', app)
      .where('env', '=', env)
      .orderBy('revision', 'desc')
      .limit(limit)
      .execute();
    return Promise.all(rows.map((r) => this.toRelease(r)));
  }

  /** The last release that succeeded: what is (or should be) running. */
  async current(app: string, env: string): Promise<Release | undefined> {
    const row = await this.db
      .selectFrom('releases')
      .select(RELEASE_COLUMNS)
      .where('app', '=', app)
      .where('env', '=', env)
      .where('status', '=', ReleaseStatus.succeeded)
      .orderBy('revision', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? this.toRelease(row) : undefined;
  }

  /** The last succeeded release that deployed something (not a `down`): the target of a rollback. */
  async lastGood(app: string, env: string, belowRevision?: number): Promise<Release | undefined> {
    let q = this.db
      .selectFrom('releases')
      .select(RELEASE_COLUMNS)
      .where('app', '=', app)
      .where('env', '=', env)
      .where('status', '=', ReleaseStatus.succeeded)
      .where('kind', '!=', ReleaseKind.down);
    if (belowRevision !== undefined) q = q.where('revision', '<', belowRevision);
    const row = await q.orderBy('revision', 'desc').limit(1).executeTakeFirst();
    return row ? this.toRelease(row) : undefined;
  }

  /** Releases nobody has finished: resumed at start-up. */
  unfinished(): Promise<Release[]> {
    return this.memoized('unfinished', async () => {
      const rows = await this.db
        .selectFrom('releases')
        .select(RELEASE_COLUMNS)
        .where('status', 'in', [ReleaseStatus.pending, ReleaseStatus.running])
        .orderBy('id')
        .execute();
      return Promise.all(rows.map((r) => this.toRelease(r)));
    });
  }

  /** Every (app, env) whose current release runs something. */
  active(): Promise<Release[]> {
    return this.memoized('active', async () => {
      const rows = await this.db.selectFrom('releases').select(['app', 'env']).distinct().execute();
      const out: Release[] = [];
      for (const { app, env } of rows) {
        const cur = await this.current(app, env);
        if (cur && cur.kind !== ReleaseKind.down) out.push(cur);
      }
      return out;
    });
  }

  async apps(): Promise<{ app: string; env: string }[]> {
    return this.db.selectFrom('releases').select(['app', 'env']).distinct().orderBy('app').orderBy('env').execute();
  }

  /** Every code snapshot a stored release runs (`rendered.codes`): what code collection keeps. */
  async codeDigests(): Promise<Set<string>> {
    const rows = await this.db.selectFrom('releases').select('rendered').execute();
    const out = new Set<string>();
    for (const r of rows)
      for (const d of Object.values((JSON.parse(r.rendered) as Pick<RenderedRelease, 'codes'>).codes ?? {})) out.add(d);
    return out;
  }

  /** How many releases there are per app, environment, kind and status (for metrics). */
  async counts(): Promise<{ app: string; env: string; kind: string; status: string; count: number }[]> {
    const rows = await this.db
      .selectFrom('releases')
      .select((eb) => ['app', 'env', 'kind', 'status', eb.fn.countAll<number>().as('count')])
      .groupBy(['app', 'env', 'kind', 'status'])
      .orderBy('app')
      .orderBy('env')
      .execute();
    return rows.map((r) => ({ ...r, count: Number(r.count) }));
  }

  async setStatus(id: number, status: ReleaseStatus, reason?: string | Message): Promise<void> {
    await this.wrote(setStatusIn(this.db, id, status, reason));
  }

  /**
   * Sets a release's final status and records its closing event in one transaction: a crash keeps
   * both or neither (the resume finishes a release whose status is still `running`).
   */
  async finish(
    id: number,
    status: ReleaseStatus,
    reason: string | Message | undefined,
    e: Omit<ReleaseEvent, 'id'>,
  ): Promise<ReleaseEvent> {
    return this.wrote(
      this.db.transaction().execute(async (tx) => {
        await setStatusIn(tx, id, status, reason);
        return addEventIn(tx, e);
      }),
    );
  }

  /**
   * Records a request to cancel a release that has not finished (the first request is kept). False
   * when the release has already finished.
   */
  async requestCancel(id: number, request: CancelRequest): Promise<boolean> {
    const r = await this.wrote(
      this.db
        .updateTable('releases')
        .set((eb) => ({ cancel_request: eb.fn.coalesce('cancel_request', eb.val(JSON.stringify(request))) }))
        .where('id', '=', id)
        .where('status', 'in', [ReleaseStatus.pending, ReleaseStatus.running])
        .executeTakeFirst(),
    );
    return Number(r.numUpdatedRows) > 0;
  }

  async setStep(id: number, service: string, status: StepStatus, message?: string | Message): Promise<void> {
    const t = now();
    await this.wrote(
      this.db
        .updateTable('release_steps')
        .set({
          status,
          message: message === undefined ? null : encodeMessage(message),
          ...(status === StepStatus.running ? { started_at: t, finished_at: null } : {}),
          ...(status === StepStatus.succeeded || status === StepStatus.failed || status === StepStatus.skipped
            ? { finished_at: t }
            : {}),
        })
        .where('release_id', '=', id)
        .where('service', '=', service)
        .execute(),
    );
  }

  /** Records where a progressive rollout of `service` stands. */
  async setProgress(id: number, service: string, progress: StepProgress): Promise<void> {
    await this.wrote(
      this.db
        .updateTable('release_steps')
        .set({ progress: JSON.stringify(progress) })
        .where('release_id', '=', id)
        .where('service', '=', service)
        .execute(),
    );
  }

  /**
   * Leaves a command for the running progressive rollout of `service` (a later one replaces an
   * earlier one not yet acted on). False when that step is not a running progressive rollout.
   */
  async setCommand(id: number, service: string, command: StepCommand): Promise<boolean> {
    const r = await this.db
      .updateTable('release_steps')
      .set({ command: JSON.stringify(command) })
      .where('release_id', '=', id)
      .where('service', '=', service)
      .where('status', '=', StepStatus.running)
      .where('progress', 'is not', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** The pending command of a step, cleared as it is taken (each is acted on once). Cheap when there is none. */
  async takeCommand(id: number, service: string): Promise<StepCommand | undefined> {
    const row = await this.db
      .selectFrom('release_steps')
      .select('command')
      .where('release_id', '=', id)
      .where('service', '=', service)
      .executeTakeFirst();
    if (!row?.command) return undefined;
    // Cleared only if unchanged: a newer command written meanwhile is taken next time instead.
    const r = await this.db
      .updateTable('release_steps')
      .set({ command: null })
      .where('release_id', '=', id)
      .where('service', '=', service)
      .where('command', '=', row.command)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0 ? (JSON.parse(row.command) as StepCommand) : undefined;
  }

  async addEvent(e: Omit<ReleaseEvent, 'id'>): Promise<ReleaseEvent> {
    return addEventIn(this.db, e);
  }

  /** Records events in order in one transaction (one commit: one sync of the WAL for all of them). */
  async addEvents(list: Omit<ReleaseEvent, 'id'>[]): Promise<ReleaseEvent[]> {
    if (list.length === 1) return [await addEventIn(this.db, list[0]!)];
    return this.db.transaction().execute(async (tx) => {
      const out: ReleaseEvent[] = [];
      for (const e of list) out.push(await addEventIn(tx, e));
      return out;
    });
  }

  async events(releaseId: number, afterId = 0): Promise<ReleaseEvent[]> {
    return eventsOf(this.db, releaseId, afterId);
  }

  private async toRelease(row: ReleaseRow): Promise<Release> {
    const steps = await this.db
      .selectFrom('release_steps')
      .selectAll()
      .where('release_id', '=', row.id)
      .orderBy('level')
      .orderBy('service')
      .execute();
    return releaseOf(row, steps);
  }

  /**
   * `read`, done again only once the release records changed: a write through this instance, or a
   * commit by another connection (SQLite's data_version). Idle, the cron scheduler and the autoscaler
   * ask for the current releases every second; each read was a query per (app, env) and its steps.
   */
  private memoized(key: 'active' | 'unfinished', read: () => Promise<Release[]>): Promise<Release[]> {
    const writes = this.writeCount;
    const version = this.dataVersion
      ? Promise.resolve(this.dataVersion())
      : sql<{ data_version: number }>`PRAGMA data_version`
          .execute(this.db)
          .then((r) => Number(r.rows[0]?.data_version));
    const fresh = version.then((dataVersion) => {
      const hit = this.memo.get(key);
      if (hit && hit.writes === writes && hit.dataVersion === dataVersion) return hit.read;
      const entry = { writes, dataVersion, read: read() };
      this.memo.set(key, entry);
      // A failed read is not kept: the next call reads again.
      entry.read.catch(() => this.memo.get(key) === entry && this.memo.delete(key));
      return entry.read;
    });
    // Callers get their own array (the releases in it are shared: read-only).
    return fresh.then((list) => [...list]);
  }

  /**
   * Calls `listener` after each write through this instance has committed (or failed): what reads the
   * releases periodically (the cron scheduler, the autoscaler) sleeps while it has nothing to do and
   * is woken by a change. Answers the function that stops it.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Runs a write and marks every memoized read stale once it has committed (or failed). */
  private async wrote<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.writeCount++;
      for (const l of this.changeListeners) l();
    }
  }
}
