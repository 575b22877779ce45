/**
 * The control plane's cronjob scheduler (one machine): every tick, for each cronjob of each app's
 * current release, it brings the history up to date with what the runtime reports (runs that
 * ended), then acts on the due times since its cursor (`planDue`): records missed and skipped
 * ones, records and starts due runs (stopping the running ones first under `replace`), and moves
 * the cursor. A run is recorded before it starts and its id comes from its due time, so a control
 * plane killed in between starts it at most once. The clock is injected.
 */
import type { Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import type { JobRun } from '../model/jobRuns.js';
import { message, type Message } from '../model/messages.js';
import type { Runtime } from '../runtime/runtime.js';
import { planDue, type CronSchedule } from './schedule.js';
import { Nap } from '../wakeups.js';
import type { JobKey, JobRunStore } from './jobRunStore.js';

/** A history entry's reason: its English text and its code. */
function because(m: Message): Pick<JobRun, 'reason' | 'reasonMessage'> {
  return { reason: m.text, reasonMessage: m };
}

/** Why a run recorded as running ended when the runtime no longer knows it. */
const lost = because(message('job.lost'));

/** One cronjob of a current release, with its environment's time zone. */
export interface CronTarget extends JobKey, CronSchedule {}

export interface CronSchedulerDeps {
  /** The scheduler's clock in epoch ms (faster than the wall clock only in tests: BERTH_CRON_TIME_SCALE). */
  now(): number;
  targets(): Promise<CronTarget[]>;
  /** The `kind: job` services of current releases, whose runs (one per version) are recorded too. */
  jobs?(): Promise<JobKey[]>;
  runtimeFor(env: string): Promise<Runtime>;
  runs: JobRunStore;
  logger: Logger;
  tickMs?: number;
  /**
   * Subscribes to changes of the releases (Releases.onChange): with it, a scheduler with no cronjob and
   * no job to look after sleeps (a tick every idleTickMs, for writes by another process) until one.
   */
  changes?(wake: () => void): () => void;
  /** Between ticks while asleep (default IDLE_TICK_MS). */
  idleTickMs?: number;
}

/** Between ticks of a scheduler with nothing to look after, when release changes wake it (CronSchedulerDeps.changes). */
const IDLE_TICK_MS = 5_000;

export interface CronScheduler {
  start(): void;
  stop(): Promise<void>;
  /** One pass over every cronjob (what each tick does). */
  tick(): Promise<void>;
  /** Starts a run of `job` now (`berth jobs run`), whatever its concurrency. */
  runNow(key: JobKey): Promise<JobRun>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A scheduled run's id: its due time, so the same due time is the same run. */
export function scheduledRunId(dueMs: number): string {
  return `s${iso(dueMs)
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .toLowerCase()}`;
}

export function createCronScheduler(deps: CronSchedulerDeps): CronScheduler {
  /** The last tick found no cronjob and no job. */
  let idle = false;

  /** Records the runs the runtime reports ended; returns the ids still running. */
  const sync = async (rt: Runtime, k: JobKey): Promise<string[]> => {
    const recorded = await deps.runs.running(k);
    if (recorded.length === 0) return [];
    const seen = new Map(((await rt.jobRuns?.(k.app, k.env, k.job)) ?? []).map((r) => [r.runId, r]));
    const still: string[] = [];
    for (const run of recorded) {
      const s = seen.get(run.runId);
      if (s && s.phase === 'running') {
        still.push(run.runId);
        continue;
      }
      await deps.runs.finish(k, run.runId, {
        status: s ? s.phase : 'failed',
        ...(s?.endedAt ? { endedAt: s.endedAt } : {}),
        ...(s?.exitCode !== undefined ? { exitCode: s.exitCode } : {}),
        ...(s ? { reason: s.reason ?? '', ...(s.reasonMessage ? { reasonMessage: s.reasonMessage } : {}) } : lost),
        logTail: s?.logTail ?? [],
      });
    }
    return still;
  };

  const startRun = async (rt: Runtime, k: JobKey, run: JobRun): Promise<JobRun> => {
    if (!(await deps.runs.add(run))) return run;
    try {
      if (!rt.startJobRun) throw new Error('this runtime does not run cronjobs from Berth (the cluster does)');
      await rt.startJobRun(k.app, k.env, k.job, run.runId);
    } catch (err) {
      const reason = because(message('job.couldNotStart', { error: (err as Error).message }));
      await deps.runs.finish(k, run.runId, { status: 'failed', ...reason, logTail: [] });
      return { ...run, status: 'failed', ...reason };
    }
    return run;
  };

  const one = async (t: CronTarget): Promise<void> => {
    const rt = await deps.runtimeFor(t.env);
    if (!rt.startJobRun) return;
    const now = deps.now();
    const running = await sync(rt, t);
    const cursor = await deps.runs.cursor(t);
    // A new cronjob starts counting now: nothing before it existed is missed.
    const actions = cursor === undefined ? [] : planDue(t, cursor, now, running);
    for (const a of actions) {
      const base = { app: t.app, env: t.env, job: t.job, runId: scheduledRunId(a.dueMs), dueAt: iso(a.dueMs) };
      if (a.kind === 'missed')
        await deps.runs.add({
          ...base,
          trigger: 'scheduled',
          status: 'missed',
          ...because(message('job.missed')),
          logTail: [],
        });
      else if (a.kind === 'skip')
        await deps.runs.add({
          ...base,
          trigger: 'scheduled',
          status: 'skipped',
          ...because(message('job.skipped', { running: running.join(', ') })),
          logTail: [],
        });
      else {
        if (a.kind === 'replace') for (const id of a.stop) await rt.stopJobRun?.(t.app, t.env, t.job, id);
        if (a.kind === 'replace') await sync(rt, t);
        await startRun(rt, t, {
          ...base,
          trigger: 'scheduled',
          status: 'running',
          startedAt: iso(Date.now()),
          replica: `${t.job}-${base.runId}`,
          logTail: [],
        });
      }
    }
    await deps.runs.setCursor(t, now);
  };

  /** Records the runs of a `kind: job` the runtime holds (started by deploys) and how they ended. */
  const recordJob = async (k: JobKey): Promise<void> => {
    const rt = await deps.runtimeFor(k.env);
    if (!rt.jobRuns) return;
    for (const r of await rt.jobRuns(k.app, k.env, k.job))
      await deps.runs.add({
        ...k,
        runId: r.runId,
        trigger: 'deploy',
        status: 'running',
        ...(r.startedAt ? { startedAt: r.startedAt } : {}),
        replica: r.replica,
        logTail: [],
      });
    await sync(rt, k);
  };

  const tick = async (): Promise<void> => {
    const jobs = (await deps.jobs?.()) ?? [];
    for (const k of jobs) {
      try {
        await recordJob(k);
      } catch (err) {
        deps.logger.warn({ err, app: k.app, env: k.env, job: k.job }, 'recording job runs failed');
      }
    }
    const targets = await deps.targets();
    for (const t of targets) {
      try {
        await one(t);
      } catch (err) {
        deps.logger.warn({ err, app: t.app, env: t.env, job: t.job }, 'cronjob tick failed');
      }
    }
    idle = jobs.length === 0 && targets.length === 0;
  };

  // Each tick on the beat (wakeups.ts): the autoscaler's and supervision's wake the process with it. With
  // nothing to look after, asleep until the releases change (or, for another process' writes, IDLE_TICK_MS);
  // a new cronjob is then seen at the usual pace (it starts counting when it is first seen).
  const pace = new Nap({
    run: async () => {
      await tick().catch((err: unknown) => deps.logger.warn({ err }, 'cron scheduler tick failed'));
      return idle;
    },
    usualMs: deps.tickMs ?? 1000,
    idleMs: deps.idleTickMs ?? IDLE_TICK_MS,
    changes: deps.changes,
  });

  return {
    start: () => pace.start(),
    stop: () => pace.stop(),
    tick,
    async runNow(k) {
      const rt = await deps.runtimeFor(k.env);
      const runId = `m${iso(Date.now())
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, '')
        .toLowerCase()}-${randomBytes(2).toString('hex')}`;
      return startRun(rt, k, {
        ...k,
        runId,
        trigger: 'manual',
        status: 'running',
        startedAt: iso(Date.now()),
        replica: `${k.job}-${runId}`,
        logTail: [],
      });
    },
  };
}
