/**
 * `kind: cronjob` on one machine with real processes and a fast scheduler clock
 * (BERTH_CRON_TIME_SCALE=30, test-only: `* * * * *` is due every 2 s): it runs on schedule with a
 * history in `berth jobs` (start, end, exit code, trigger, log tail), `berth jobs run` runs it now,
 * `berth logs --replica` shows a run's output, and the due times missed while the control plane was
 * killed are reported as `missed`, not run all at once.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobsStatus } from '../../src/server/apiTypes.js';
import { startBerth, waitFor, writeApp, type Berth } from './harness.js';

const APP = 'cron-demo';
let berth: Berth;
let dir: string;

beforeAll(async () => {
  dir = await writeApp('cron', {
    'report.mjs': `console.log('report rows=' + 42); console.error('done at ' + new Date().toISOString());\n`,
    'berth.yaml': [
      `name: ${APP}`,
      'services:',
      '  report:',
      '    kind: cronjob',
      '    schedule: "* * * * *"',
      '    command: node report.mjs',
    ],
  });
  berth = await startBerth({
    env: { BERTH_CRON_TIME_SCALE: '30', BERTH_CRON_TIME_ORIGIN: String(Date.now()) },
  });
});
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

const jobs = (): Promise<JobsStatus> => berth.json<JobsStatus>(['jobs', APP, 'report']);

describe('a cronjob every (scaled) minute', () => {
  it('runs on schedule, with its history and logs', async () => {
    const r = await berth.cli(['deploy', dir]);
    expect(r.code, r.stderr).toBe(0);
    const st = await waitFor(
      'two scheduled runs that succeeded',
      async () => {
        const s = await jobs();
        const ok = s.jobs[0]!.runs.filter((x) => x.status === 'succeeded' && x.trigger === 'scheduled');
        return ok.length >= 2 ? s : undefined;
      },
      20_000,
      200,
    );
    const j = st.jobs[0]!;
    expect(j).toMatchObject({
      job: 'report',
      kind: 'cronjob',
      schedule: '* * * * *',
      timeZone: 'UTC',
      concurrency: 'forbid',
    });
    const run = j.runs.find((x) => x.status === 'succeeded')!;
    expect(run).toMatchObject({ exitCode: 0, trigger: 'scheduled' });
    expect(run.logTail[0]).toBe('report rows=42');
    expect(run.dueAt).toMatch(/:00\.000Z$/);
    const logs = await berth.cli(['logs', `${APP}/report`, '--replica', run.replica!]);
    expect(logs.stdout).toContain('report rows=42');
    const table = await berth.cli(['jobs', APP]);
    expect(table.stdout).toMatch(/^cronjob report: \* \* \* \* \* \(UTC\), concurrency forbid, backoffLimit 0, next /m);
    expect(table.stdout).toMatch(/RUN\s+TRIGGER\s+STATUS/);
  });

  it('berth jobs run runs it now, recorded as manual', async () => {
    const r = await berth.cli(['jobs', 'run', `${APP}/report`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^run m\S+ of cron-demo\/report started; its log: berth logs cron-demo\/report --replica report-m/,
    );
    await waitFor(
      'the manual run to succeed',
      async () =>
        (await jobs()).jobs[0]!.runs.some((x) => x.trigger === 'manual' && x.status === 'succeeded') || undefined,
      10_000,
      200,
    );
    const bad = await berth.cli(['jobs', 'run', `${APP}/nope`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('app cron-demo has no cronjob nope in local');
  });

  it('reports the due times missed while the control plane was killed, and goes on', async () => {
    await berth.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 7_000)); // ~3.5 scaled minutes
    await berth.restart();
    const st = await waitFor(
      'missed entries',
      async () => {
        const s = await jobs();
        return s.jobs[0]!.runs.some((x) => x.status === 'missed') ? s : undefined;
      },
      10_000,
      200,
    );
    const missed = st.jobs[0]!.runs.filter((x) => x.status === 'missed');
    expect(missed.length).toBeGreaterThanOrEqual(1);
    expect(missed[0]!.reason).toBe('the control plane was not running at its time');
    // Not run N times on start: no two scheduled runs started within the same second.
    const starts = st.jobs[0]!.runs.filter((x) => x.trigger === 'scheduled' && x.startedAt).map((x) =>
      x.startedAt!.slice(0, 19),
    );
    expect(new Set(starts).size).toBe(starts.length);
  });
});
