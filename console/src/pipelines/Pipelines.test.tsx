import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import i18n from '../i18n';
import type { PipelineInfo, PipelineRun } from '../api/types';
import { answerFetch, renderAt } from '../test/render';
import Pipelines from './Pipelines';

const BASE = '/api/v1/pipelines/shop';
const info: PipelineInfo & { yaml: string } = {
  app: 'shop',
  version: 3,
  definition: {
    source: { url: 'https://git.example.com/shop.git', branch: 'main', path: '.' },
    steps: [
      { kind: 'test', command: 'npm test', timeoutMs: 600_000 },
      { kind: 'deploy', env: 'test' },
      { kind: 'approval', env: 'staging' },
      { kind: 'promote', from: 'test', to: 'staging' },
    ],
  },
  webhookSecret: false,
  author: 'ann',
  createdAt: '2026-12-06T10:00:00.000Z',
  yaml: '',
};
const run: PipelineRun = {
  id: 7,
  app: 'shop',
  status: 'waiting',
  trigger: 'push',
  author: 'dev',
  branch: 'main',
  commit: '3f2a9c1e4b7d0000000000000000000000000000',
  pipelineVersion: 3,
  createdAt: '2026-12-06T10:01:00.000Z',
  steps: info.definition.steps.map((spec, index) => ({ index, spec, title: '', status: 'queued' })),
};
run.steps[0] = { ...run.steps[0]!, status: 'succeeded', result: { exitCode: 0 } };
run.steps[1] = { ...run.steps[1]!, status: 'succeeded', result: { releaseId: 4, revision: 12, env: 'test' } };
run.steps[2] = { ...run.steps[2]!, status: 'waiting' };

describe('pipelines page', () => {
  it('shows the runs, a run’s steps with results and logs, and approves it', async () => {
    const fetch = answerFetch({
      [BASE]: info,
      [`${BASE}/runs`]: [run],
      '/api/v1/pipeline-runs/7/steps/1/log': '==> npm test\nall 12 tests passed\n',
      '/api/v1/pipeline-runs/7/steps/2/log': 'revision 12 of test succeeded\n',
      '/api/v1/pipeline-runs/7/steps/3/log': '',
      'POST /api/v1/pipeline-runs/7/approve': { ...run, status: 'running' },
    });
    renderAt(<Pipelines />, '/apps/shop/test/pipelines', '/apps/:app/:env/pipelines');
    expect(await screen.findByText('Pipeline of shop')).toBeTruthy();
    expect(await screen.findByText(/Source https:\/\/git\.example\.com\/shop\.git, branch main/)).toBeTruthy();
    expect(await screen.findByText('Run #7')).toBeTruthy();
    expect(screen.getByText('1. Test: npm test')).toBeTruthy();
    expect(screen.getByText('Revision 12 of test')).toBeTruthy();
    expect(screen.getByText('3. Approval for staging')).toBeTruthy();
    expect(screen.getByText('4. Promote test → staging')).toBeTruthy();
    expect(await screen.findByText(/all 12 tests passed/)).toBeTruthy();
    fireEvent.click(screen.getByTestId('approve'));
    await waitFor(() =>
      expect(
        fetch.mock.calls.some(([url, init]) => String(url).endsWith('/7/approve') && init?.method === 'POST'),
      ).toBe(true),
    );
  });

  it('says how to set a pipeline when the app has none, in simplified Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    try {
      answerFetch({});
      renderAt(<Pipelines />, '/apps/shop/test/pipelines', '/apps/:app/:env/pipelines');
      expect(await screen.findByTestId('no-pipeline')).toBeTruthy();
      expect(screen.getByText('这个应用还没有流水线。设置方法：berth pipeline set shop -f pipeline.yaml')).toBeTruthy();
      expect(screen.queryByTestId('run-now')).toBeNull();
    } finally {
      await i18n.changeLanguage('en');
    }
  });
});
