/**
 * The scheduler with an injected clock, a real store (SQLite file) and a runtime that records what
 * it is asked: due runs start once, forbid skips and records it, replace stops the running run
 * first, allow overlaps, a gap (control plane down) is reported as missed entries and runs at most
 * the latest due time, and a cronjob's schedule is read in its environment's time zone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobRunStatus, Runtime } from '../runtime/runtime.js';
import { message } from '../model/messages.js';
import { openStore, type Store } from '../store/store.js';
import { createJobRunStore, type JobRunStore } from './jobRunStore.js';
import { createCronScheduler, type CronTarget } from './scheduler.js';

/** A runtime whose runs run until the test ends them. */
class FakeRuntime {
  readonly started: string[] = [];
  readonly stopped: string[] = [];
  readonly runs = new Map<string, JobRunStatus>();
  startJobRun = async (_a: string, _e: string, job: string, runId: string): Promise<void> => {
    this.started.push(runId);
    this.runs.set(runId, { runId, replica: `${job}-${runId}`, phase: 'running', attempts: 1, logTail: [] });
  };
  jobRuns = async (): Promise<JobRunStatus[]> => [...this.runs.values()];
  stopJobRun = async (_a: string, _e: string, _j: string, runId: string): Promise<void> => {
    this.stopped.push(runId);
    this.end(runId, 'failed', 'replaced by a newer run');
  };
  end(runId: string, phase: 'succeeded' | 'failed', reason = 'exit code 0'): void {
    const r = this.runs.get(runId)!;
    this.runs.set(runId, { ...r, phase, exitCode: 0, reason, endedAt: '2026-03-01T10:00:00.000Z', logTail: ['done'] });
  }
}

let dir: string;
let store: Store;
let runs: JobRunStore;
let rt: FakeRuntime;
let clock: number;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-cron-'));
  store = await openStore({ file: join(dir, 'berth.db') });
  runs = createJobRunStore(store.db);
  rt = new FakeRuntime();
  clock = Date.parse('2026-03-01T10:00:30Z');
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function scheduler(target: Partial<CronTarget> = {}) {
  const t: CronTarget = {
    app: 'shop',
    env: 'dev',
    job: 'report',
    schedule: '* * * * *',
    timeZone: 'UTC',
    concurrency: 'forbid',
    ...target,
  };
  return createCronScheduler({
    now: () => clock,
    targets: async () => [t],
    runtimeFor: async () => rt as unknown as Runtime,
    runs,
    logger: pino({ level: 'silent' }),
  });
}

const history = async () =>
  (await runs.list('shop', 'dev', 'report')).reverse().map((r) => `${r.status} ${r.dueAt ?? r.trigger}`);

describe('cron scheduler', () => {
  it('starts each due run once and records how it ended', async () => {
    const s = scheduler();
    await s.tick(); // first sight: the cursor starts now
    clock = Date.parse('2026-03-01T10:01:00.500Z');
    await s.tick();
    await s.tick(); // the same due time again: nothing new
    expect(rt.started).toEqual(['s20260301t100100']);
    rt.end('s20260301t100100', 'succeeded');
    await s.tick();
    expect(await runs.list('shop', 'dev', 'report')).toEqual([
      expect.objectContaining({ status: 'succeeded', exitCode: 0, logTail: ['done'], trigger: 'scheduled' }),
    ]);
  });

  it('forbid: a due time while the last run goes on is skipped and recorded', async () => {
    const s = scheduler();
    await s.tick();
    clock = Date.parse('2026-03-01T10:01:01Z');
    await s.tick();
    clock = Date.parse('2026-03-01T10:02:01Z');
    await s.tick();
    expect(rt.started).toHaveLength(1);
    expect(await history()).toEqual(['running 2026-03-01T10:01:00.000Z', 'skipped 2026-03-01T10:02:00.000Z']);
    expect((await runs.list('shop', 'dev', 'report'))[0]!.reason).toBe(
      'concurrency forbid: s20260301t100100 still running',
    );
    // read back from the store with its code, for the console to translate
    expect((await runs.list('shop', 'dev', 'report'))[0]!.reasonMessage).toEqual({
      code: 'job.skipped',
      params: { running: 's20260301t100100' },
      text: 'concurrency forbid: s20260301t100100 still running',
    });
  });

  it('replace stops the running run, then starts the due one; allow runs both', async () => {
    const s = scheduler({ concurrency: 'replace' });
    await s.tick();
    clock = Date.parse('2026-03-01T10:01:01Z');
    await s.tick();
    clock = Date.parse('2026-03-01T10:02:01Z');
    await s.tick();
    expect(rt.stopped).toEqual(['s20260301t100100']);
    expect(rt.started).toEqual(['s20260301t100100', 's20260301t100200']);
    expect(await history()).toEqual(['failed 2026-03-01T10:01:00.000Z', 'running 2026-03-01T10:02:00.000Z']);

    const allow = scheduler({ job: 'report', concurrency: 'allow' });
    clock = Date.parse('2026-03-01T10:03:01Z');
    await allow.tick();
    expect(rt.started).toHaveLength(3);
    expect(rt.stopped).toHaveLength(1);
  });

  it('after a gap: the due times it slept through are missed entries, the latest in-time one runs once', async () => {
    await scheduler().tick();
    // The control plane was down from 10:00:30 to 10:05:20: 10:01–10:04 missed, 10:05 is 20 s late and runs.
    clock = Date.parse('2026-03-01T10:05:20Z');
    const s = scheduler();
    await s.tick();
    await s.tick();
    expect(await history()).toEqual([
      'missed 2026-03-01T10:01:00.000Z',
      'missed 2026-03-01T10:02:00.000Z',
      'missed 2026-03-01T10:03:00.000Z',
      'missed 2026-03-01T10:04:00.000Z',
      'running 2026-03-01T10:05:00.000Z',
    ]);
    expect(rt.started).toEqual(['s20260301t100500']);
    const missed = (await runs.list('shop', 'dev', 'report')).at(-1)!;
    expect(missed).toMatchObject({
      reason: 'the control plane was not running at its time',
      reasonMessage: { code: 'job.missed' },
    });
  });

  it('reads the schedule in the environment time zone', async () => {
    // 11:00 in Berlin (UTC+1 in March before the switch) is 10:00 UTC.
    clock = Date.parse('2026-03-01T09:59:30Z');
    const s = scheduler({ schedule: '0 11 * * *', timeZone: 'Europe/Berlin' });
    await s.tick();
    clock = Date.parse('2026-03-01T10:00:01Z');
    await s.tick();
    expect(rt.started).toEqual(['s20260301t100000']);
  });

  it('records the runs of a kind: job (started by deploys) and how they ended', async () => {
    await rt.startJobRun('shop', 'dev', 'migrate', 'job0001-abcde');
    const s = createCronScheduler({
      now: () => clock,
      targets: async () => [],
      jobs: async () => [{ app: 'shop', env: 'dev', job: 'migrate' }],
      runtimeFor: async () => rt as unknown as Runtime,
      runs,
      logger: pino({ level: 'silent' }),
    });
    await s.tick();
    expect(await runs.list('shop', 'dev', 'migrate')).toEqual([
      expect.objectContaining({ runId: 'job0001-abcde', trigger: 'deploy', status: 'running' }),
    ]);
    rt.end('job0001-abcde', 'succeeded');
    await s.tick();
    await s.tick();
    expect(await runs.list('shop', 'dev', 'migrate')).toEqual([
      expect.objectContaining({ runId: 'job0001-abcde', status: 'succeeded', exitCode: 0, logTail: ['done'] }),
    ]);
  });

  it("a run's reason from the runtime keeps its code through the store; a reason stored as text reads as text", async () => {
    await rt.startJobRun('shop', 'dev', 'migrate', 'job0001-abcde');
    const failed = message('job.failed', { reason: message('exit.shortCode', { code: 3 }), attempts: 2 });
    rt.runs.set('job0001-abcde', {
      ...rt.runs.get('job0001-abcde')!,
      phase: 'failed',
      exitCode: 3,
      reason: failed.text,
      reasonMessage: failed,
    });
    const s = createCronScheduler({
      now: () => clock,
      targets: async () => [],
      jobs: async () => [{ app: 'shop', env: 'dev', job: 'migrate' }],
      runtimeFor: async () => rt as unknown as Runtime,
      runs,
      logger: pino({ level: 'silent' }),
    });
    await s.tick();
    expect((await runs.list('shop', 'dev', 'migrate'))[0]).toMatchObject({
      status: 'failed',
      reason: 'failed: exit code 3 (2 runs)',
      reasonMessage: failed,
    });
    // a row from before codes: its text, no code
    await store.db.updateTable('job_runs').set({ reason: 'exit code 1' }).execute();
    const old = (await runs.list('shop', 'dev', 'migrate'))[0]!;
    expect(old.reason).toBe('exit code 1');
    expect(old.reasonMessage).toBeUndefined();
  });

  it('runNow starts a manual run whatever the concurrency', async () => {
    const s = scheduler();
    await s.tick();
    clock = Date.parse('2026-03-01T10:01:01Z');
    await s.tick();
    const manual = await s.runNow({ app: 'shop', env: 'dev', job: 'report' });
    expect(manual).toMatchObject({ trigger: 'manual', status: 'running' });
    expect(rt.started).toHaveLength(2);
  });

  it('with nothing to look after it sleeps, and a change of the releases wakes it to a new cronjob', async () => {
    let wake: (() => void) | undefined;
    let list: CronTarget[] = [];
    let looks = 0;
    const s = createCronScheduler({
      now: () => clock,
      targets: async () => {
        looks++;
        return list;
      },
      runtimeFor: async () => rt as unknown as Runtime,
      runs,
      logger: pino({ level: 'silent' }),
      changes: (w) => {
        wake = w;
        return () => (wake = undefined);
      },
      // Asleep for a minute: only the change can bring the next look within the test.
      idleTickMs: 60_000,
    });
    s.start();
    try {
      await until(() => looks === 1);
      list = [{ app: 'shop', env: 'dev', job: 'report', schedule: '* * * * *', timeZone: 'UTC', concurrency: 'forbid' }];
      wake!();
      // First sight: the cursor starts now; then it ticks at the usual pace again.
      await until(async () => (await runs.cursor(list[0]!)) !== undefined);
      clock = Date.parse('2026-03-01T10:01:01Z');
      await until(() => rt.started.length === 1);
      expect(rt.started).toEqual(['s20260301t100100']);
    } finally {
      await s.stop();
    }
    expect(wake).toBeUndefined();
  });
});

/** Polls `fn` until it holds; fails after 10 s. */
async function until(fn: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
