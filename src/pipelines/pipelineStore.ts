/**
 * The pipelines' rows in the store (migration 008_pipelines): each app's pipeline versions, its runs
 * and their steps. Every state change is one committed statement (or transaction) before the runner
 * acts on it, so a restarted control plane finds each run where it was (src/pipelines/runner.ts).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { NotFoundError } from '../errors.js';
import type {
  PipelineDefinition,
  PipelineRun,
  PipelineRunStatus,
  PipelineRunStep,
  PipelineStepResult,
  PipelineStepSpec,
  PipelineStepStatus,
  PipelineTrigger,
} from '../model/pipeline.js';
import { stepTitle } from './definition.js';
import { RunWatch } from './runWatch.js';

/** A stored pipeline version, with its encrypted secret (never leaves src/pipelines). */
export interface StoredPipeline {
  app: string;
  version: number;
  definition: PipelineDefinition;
  /** The secret box's ciphertext of the webhook secret. */
  webhookSecret?: string;
  author: string;
  createdAt: string;
}

export interface NewRun {
  app: string;
  trigger: PipelineTrigger;
  author: string;
  branch: string;
  commit?: string;
  pipelineVersion: number;
  preview?: { key: string; env: string };
  steps: PipelineStepSpec[];
}

interface RunRow {
  id: number;
  app: string;
  status: string;
  trigger: string;
  author: string;
  branch: string;
  commit_id: string | null;
  pipeline_version: number;
  preview: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

interface StepRow {
  run_id: number;
  idx: number;
  spec: string;
  status: string;
  started_at: string | null;
  finished_at: string | null;
  result: string | null;
  error: string | null;
  log_tail: string | null;
}

const now = (): string => new Date().toISOString();

export class PipelineStore {
  private readonly db: BetterSqlite3.Database;
  /** Woken by every change of a run or its steps recorded here (and by their log lines, runner.ts). */
  readonly changes = new RunWatch();

  constructor(db: BetterSqlite3.Database) {
    this.db = db;
  }

  /** Stores a new version of `app`'s pipeline; `keepSecret` carries the last version's secret over. */
  setPipeline(
    app: string,
    definition: PipelineDefinition,
    secret: { encrypted: string } | 'keep' | 'none',
    author: string,
  ): StoredPipeline {
    return this.db.transaction(() => {
      const last = this.pipeline(app);
      const webhookSecret = secret === 'keep' ? last?.webhookSecret : secret === 'none' ? undefined : secret.encrypted;
      const version = (last?.version ?? 0) + 1;
      const createdAt = now();
      this.db
        .prepare(
          'insert into pipelines (app, version, definition, webhook_secret, author, created_at) values (?, ?, ?, ?, ?, ?)',
        )
        .run(app, version, JSON.stringify(definition), webhookSecret ?? null, author, createdAt);
      return { app, version, definition, ...(webhookSecret ? { webhookSecret } : {}), author, createdAt };
    })();
  }

  /** The latest version of `app`'s pipeline (or the one asked for). */
  pipeline(app: string, version?: number): StoredPipeline | undefined {
    const row = (
      version === undefined
        ? this.db.prepare('select * from pipelines where app = ? order by version desc limit 1').get(app)
        : this.db.prepare('select * from pipelines where app = ? and version = ?').get(app, version)
    ) as
      | {
          app: string;
          version: number;
          definition: string;
          webhook_secret: string | null;
          author: string;
          created_at: string;
        }
      | undefined;
    if (!row) return undefined;
    return {
      app: row.app,
      version: row.version,
      definition: JSON.parse(row.definition) as PipelineDefinition,
      ...(row.webhook_secret ? { webhookSecret: row.webhook_secret } : {}),
      author: row.author,
      createdAt: row.created_at,
    };
  }

  /** Apps with a pipeline, in name order. */
  apps(): string[] {
    return (this.db.prepare('select distinct app from pipelines order by app').all() as { app: string }[]).map(
      (r) => r.app,
    );
  }

  createRun(r: NewRun): PipelineRun {
    const id = this.db.transaction(() => {
      const info = this.db
        .prepare(
          `insert into pipeline_runs (app, status, trigger, author, branch, commit_id, pipeline_version, preview, created_at)
           values (?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          r.app,
          r.trigger,
          r.author,
          r.branch,
          r.commit ?? null,
          r.pipelineVersion,
          r.preview ? JSON.stringify(r.preview) : null,
          now(),
        );
      const runId = Number(info.lastInsertRowid);
      const insert = this.db.prepare(
        `insert into pipeline_steps (run_id, idx, spec, status) values (?, ?, ?, 'queued')`,
      );
      r.steps.forEach((s, i) => insert.run(runId, i, JSON.stringify(s)));
      return runId;
    })();
    return this.run(id);
  }

  run(id: number): PipelineRun {
    const row = this.db.prepare('select * from pipeline_runs where id = ?').get(id) as RunRow | undefined;
    if (!row) throw new NotFoundError(`there is no pipeline run ${id}`, { details: { run: id } });
    return this.withSteps(row);
  }

  /** `app`'s runs, newest first. */
  runs(app: string, limit: number): PipelineRun[] {
    const rows = this.db
      .prepare('select * from pipeline_runs where app = ? order by id desc limit ?')
      .all(app, limit) as RunRow[];
    return rows.map((r) => this.withSteps(r));
  }

  /** Runs in one of `statuses`, oldest first (optionally of one app). */
  runsIn(statuses: readonly PipelineRunStatus[], app?: string): PipelineRun[] {
    const marks = statuses.map(() => '?').join(', ');
    const rows = this.db
      .prepare(
        `select * from pipeline_runs where status in (${marks})${app === undefined ? '' : ' and app = ?'} order by id`,
      )
      .all(...statuses, ...(app === undefined ? [] : [app])) as RunRow[];
    return rows.map((r) => this.withSteps(r));
  }

  updateRun(
    id: number,
    change: { status?: PipelineRunStatus; commit?: string; started?: boolean; finished?: boolean; error?: string },
  ): void {
    const sets: string[] = [];
    const args: unknown[] = [];
    if (change.status) {
      sets.push('status = ?');
      args.push(change.status);
    }
    if (change.commit) {
      sets.push('commit_id = ?');
      args.push(change.commit);
    }
    if (change.started) {
      sets.push('started_at = coalesce(started_at, ?)');
      args.push(now());
    }
    if (change.finished) {
      sets.push('finished_at = ?');
      args.push(now());
    }
    if (change.error !== undefined) {
      sets.push('error = ?');
      args.push(change.error);
    }
    if (sets.length === 0) return;
    this.db.prepare(`update pipeline_runs set ${sets.join(', ')} where id = ?`).run(...args, id);
    this.changes.notify(id);
  }

  updateStep(
    id: number,
    index: number,
    change: {
      status: PipelineStepStatus;
      started?: boolean;
      finished?: boolean;
      result?: PipelineStepResult;
      error?: string;
      logTail?: string[];
    },
  ): void {
    const sets = ['status = ?'];
    const args: unknown[] = [change.status];
    if (change.started) {
      sets.push('started_at = ?', 'finished_at = null');
      args.push(now());
    }
    if (change.finished) {
      sets.push('finished_at = ?');
      args.push(now());
    }
    if (change.result) {
      sets.push('result = ?');
      args.push(JSON.stringify(change.result));
    }
    if (change.error !== undefined) {
      sets.push('error = ?');
      args.push(change.error);
    }
    if (change.logTail) {
      sets.push('log_tail = ?');
      args.push(JSON.stringify(change.logTail));
    }
    this.db
      .prepare(`update pipeline_steps set ${sets.join(', ')} where run_id = ? and idx = ?`)
      .run(...args, id, index);
    this.changes.notify(id);
  }

  /** Every step of `id` still queued (or running) becomes `status`. */
  closeSteps(id: number, status: PipelineStepStatus): void {
    this.db
      .prepare(
        `update pipeline_steps set status = ?, finished_at = coalesce(finished_at, ?) where run_id = ? and status in ('queued', 'running', 'waiting')`,
      )
      .run(status, now(), id);
    this.changes.notify(id);
  }

  private withSteps(row: RunRow): PipelineRun {
    const steps = (
      this.db.prepare('select * from pipeline_steps where run_id = ? order by idx').all(row.id) as StepRow[]
    ).map((s): PipelineRunStep => {
      const spec = JSON.parse(s.spec) as PipelineStepSpec;
      return {
        index: s.idx,
        spec,
        title: stepTitle(spec),
        status: s.status as PipelineStepStatus,
        ...(s.started_at ? { startedAt: s.started_at } : {}),
        ...(s.finished_at ? { finishedAt: s.finished_at } : {}),
        ...(s.result ? { result: JSON.parse(s.result) as PipelineStepResult } : {}),
        ...(s.error ? { error: s.error } : {}),
        ...(s.log_tail ? { logTail: JSON.parse(s.log_tail) as string[] } : {}),
      };
    });
    return {
      id: row.id,
      app: row.app,
      status: row.status as PipelineRunStatus,
      trigger: row.trigger as PipelineTrigger,
      author: row.author,
      branch: row.branch,
      ...(row.commit_id ? { commit: row.commit_id } : {}),
      pipelineVersion: row.pipeline_version,
      ...(row.preview ? { preview: JSON.parse(row.preview) as { key: string; env: string } } : {}),
      createdAt: row.created_at,
      ...(row.started_at ? { startedAt: row.started_at } : {}),
      ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
      ...(row.error ? { error: row.error } : {}),
      steps,
    };
  }
}
