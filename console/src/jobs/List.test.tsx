import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { message } from '../../../src/model/messages.js';
import i18n from '../i18n';
import type { JobsStatus } from '../api/types';
import { answerFetch, renderAt } from '../test/render';
import JobsList from './List';

const BASE = '/api/v1/apps/shop/envs/dev';
const base = { app: 'shop', env: 'dev', logTail: [] as string[] };
const jobs: JobsStatus = {
  app: 'shop',
  env: 'dev',
  jobs: [
    {
      job: 'migrate',
      kind: 'job',
      backoffLimit: 1,
      runs: [
        {
          ...base,
          job: 'migrate',
          runId: 'a1b2c',
          trigger: 'deploy',
          status: 'succeeded',
          exitCode: 0,
          logTail: ['migrated 3 tables'],
        },
      ],
    },
    {
      job: 'report',
      kind: 'cronjob',
      schedule: '0 3 * * *',
      timeZone: 'Asia/Shanghai',
      concurrency: 'forbid',
      backoffLimit: 0,
      nextDueAt: '2026-03-02T19:00:00.000Z',
      runs: [
        {
          ...base,
          job: 'report',
          runId: 's20260301t190000',
          trigger: 'scheduled',
          status: 'failed',
          exitCode: 2,
          reason: 'exit code 2',
          logTail: ['no db'],
        },
        {
          ...base,
          job: 'report',
          runId: 's20260228t190000',
          trigger: 'scheduled',
          status: 'missed',
          dueAt: '2026-02-28T19:00:00.000Z',
          reason: 'the control plane was not running at its time',
        },
      ],
    },
  ],
};

describe('jobs page', () => {
  it('shows each job and cronjob with its history, and runs a cronjob now', async () => {
    const fetch = answerFetch({
      [`${BASE}/jobs`]: jobs,
      [`POST ${BASE}/jobs/report/runs`]: [
        202,
        { ...base, job: 'report', runId: 'm1', trigger: 'manual', status: 'running' },
      ],
    });
    renderAt(<JobsList />, '/apps/shop/dev/jobs', '/apps/:app/:env/jobs');
    expect(await screen.findByText('Jobs of shop in dev')).toBeTruthy();
    expect(
      screen.getByText(/schedule 0 3 \* \* \* \(Asia\/Shanghai\), concurrency forbid, backoffLimit 0/),
    ).toBeTruthy();
    expect(screen.getByText(/runs once per version, backoffLimit 1/)).toBeTruthy();
    expect(screen.getByText('migrated 3 tables')).toBeTruthy();
    expect(screen.getByText('missed')).toBeTruthy();
    expect(screen.getByText('the control plane was not running at its time')).toBeTruthy();
    // Only a cronjob can be run on demand.
    expect(screen.queryByTestId('run-migrate')).toBeNull();
    fireEvent.click(screen.getByTestId('run-report'));
    await waitFor(() =>
      expect(fetch.mock.calls.some(([, init]) => (init as RequestInit | undefined)?.method === 'POST')).toBe(true),
    );
    const post = fetch.mock.calls.find(([, init]) => (init as RequestInit | undefined)?.method === 'POST')!;
    expect(String(post[0])).toBe(`${BASE}/jobs/report/runs`);
  });

  it('says why a run failed, was skipped or missed in simplified Chinese', async () => {
    const failed = message('job.failed', { reason: message('exit.shortCode', { code: 2 }), attempts: 1 });
    const skipped = message('job.skipped', { running: 's20260301t190000' });
    const missed = message('job.missed');
    const runs = jobs.jobs[1]!.runs;
    const coded: JobsStatus = {
      ...jobs,
      jobs: [
        jobs.jobs[0]!,
        {
          ...jobs.jobs[1]!,
          runs: [
            { ...runs[0]!, reason: failed.text, reasonMessage: failed },
            { ...runs[1]!, status: 'skipped', reason: skipped.text, reasonMessage: skipped },
            { ...runs[1]!, runId: 's20260227t190000', reason: missed.text, reasonMessage: missed },
          ],
        },
      ],
    };
    await i18n.changeLanguage('zh-CN');
    try {
      answerFetch({ [`${BASE}/jobs`]: coded });
      renderAt(<JobsList />, '/apps/shop/dev/jobs', '/apps/:app/:env/jobs');
      expect(await screen.findByText('失败：退出码 2（运行 1 次）')).toBeTruthy();
      expect(screen.getByText('concurrency forbid：s20260301t190000 仍在运行')).toBeTruthy();
      expect(screen.getByText('到点时控制平面没有运行')).toBeTruthy();
      expect(screen.queryByText(/not running at its time|still running|exit code/)).toBeNull();
    } finally {
      await i18n.changeLanguage('en');
    }
  });
});
