/**
 * The job history in the store (`job_runs`) and the scheduler's cursors (`cron_cursors`). A run is
 * written before it is started; its id is unique per cronjob, so a run recorded twice (a control
 * plane killed between recording and moving its cursor) is one run.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, JobRunsTable } from '../store/schema.js';
import type { JobRun } from '../model/jobRuns.js';
import { decodeMessage, encodeMessage } from '../model/messages.js';

/** Which cronjob. */
export interface JobKey {
  app: string;
  env: string;
  job: string;
}

/** The history of cronjobs and where the scheduler stands. */
export interface JobRunStore {
  /** Records an entry; false when one with its run id exists already. */
  add(run: JobRun): Promise<boolean>;
  /** Updates a run that ended. */
  finish(
    key: JobKey,
    runId: string,
    end: Pick<JobRun, 'status' | 'endedAt' | 'exitCode' | 'reason' | 'reasonMessage' | 'logTail'>,
  ): Promise<void>;
  /** The runs recorded as running. */
  running(key: JobKey): Promise<JobRun[]>;
  /** The history of an app in an environment (one job's when `job` is given), newest first. */
  list(app: string, env: string, job?: string, limit?: number): Promise<JobRun[]>;
  cursor(key: JobKey): Promise<number | undefined>;
  setCursor(key: JobKey, atMs: number): Promise<void>;
}

/** The reason column: the message with its code when there is one (decodeMessage reads both). */
function reasonColumn(r: Pick<JobRun, 'reason' | 'reasonMessage'>): string | null {
  return r.reasonMessage ? encodeMessage(r.reasonMessage) : (r.reason ?? null);
}

function reasonOf(stored: string): Pick<JobRun, 'reason' | 'reasonMessage'> {
  const { text, message } = decodeMessage(stored);
  return { reason: text, ...(message ? { reasonMessage: message } : {}) };
}

function toRun(r: Selectable<JobRunsTable>): JobRun {
  return {
    app: r.app,
    env: r.env,
    job: r.service,
    runId: r.run_id,
    trigger: r.trigger as JobRun['trigger'],
    status: r.status as JobRun['status'],
    ...(r.due_at ? { dueAt: r.due_at } : {}),
    ...(r.started_at ? { startedAt: r.started_at } : {}),
    ...(r.ended_at ? { endedAt: r.ended_at } : {}),
    ...(r.ended_at ? { exitCode: r.exit_code } : {}),
    ...(r.reason ? reasonOf(r.reason) : {}),
    logTail: JSON.parse(r.log_tail) as string[],
    ...(r.replica ? { replica: r.replica } : {}),
  };
}

/** The store's job history. */
export function createJobRunStore(db: Kysely<Database>): JobRunStore {
  const where = (k: JobKey) =>
    db
      .selectFrom('job_runs')
      .selectAll()
      .where('app', '=', k.app)
      .where('env', '=', k.env)
      .where('service', '=', k.job);
  return {
    async add(run) {
      const res = await db
        .insertInto('job_runs')
        .values({
          app: run.app,
          env: run.env,
          service: run.job,
          run_id: run.runId,
          trigger: run.trigger,
          status: run.status,
          due_at: run.dueAt ?? null,
          started_at: run.startedAt ?? null,
          ended_at: run.endedAt ?? null,
          exit_code: run.exitCode ?? null,
          reason: reasonColumn(run),
          log_tail: JSON.stringify(run.logTail),
          replica: run.replica ?? null,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async finish(k, runId, end) {
      await db
        .updateTable('job_runs')
        .set({
          status: end.status,
          ended_at: end.endedAt ?? new Date().toISOString(),
          exit_code: end.exitCode ?? null,
          reason: reasonColumn(end),
          log_tail: JSON.stringify(end.logTail),
        })
        .where('app', '=', k.app)
        .where('env', '=', k.env)
        .where('service', '=', k.job)
        .where('run_id', '=', runId)
        .execute();
    },
    async running(k) {
      return (await where(k).where('status', '=', 'running').execute()).map(toRun);
    },
    async list(app, env, job, limit = 50) {
      let q = db.selectFrom('job_runs').selectAll().where('app', '=', app).where('env', '=', env);
      if (job !== undefined) q = q.where('service', '=', job);
      return (await q.orderBy('id', 'desc').limit(limit).execute()).map(toRun);
    },
    async cursor(k) {
      const row = await db
        .selectFrom('cron_cursors')
        .select('checked_until')
        .where('app', '=', k.app)
        .where('env', '=', k.env)
        .where('service', '=', k.job)
        .executeTakeFirst();
      return row?.checked_until;
    },
    async setCursor(k, atMs) {
      await db
        .insertInto('cron_cursors')
        .values({ app: k.app, env: k.env, service: k.job, checked_until: atMs })
        .onConflict((oc) => oc.columns(['app', 'env', 'service']).doUpdateSet({ checked_until: atMs }))
        .execute();
    },
  };
}
