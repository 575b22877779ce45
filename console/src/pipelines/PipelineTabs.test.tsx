import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import i18n from '../i18n';
import type { BuildSummary, HookDelivery } from '../api/types';
import { answerFetch, renderAt } from '../test/render';
import Pipelines from './Pipelines';

const build: BuildSummary = {
  id: 'b1-abc',
  app: 'shop',
  env: 'test',
  commit: '3f2a9c1e4b7d0000000000000000000000000000',
  author: 'ann',
  status: 'failed',
  startedAt: '2026-12-06T10:00:00.000Z',
  services: [
    {
      buildId: 'b1-abc',
      app: 'shop',
      env: 'test',
      service: 'api',
      kind: 'image',
      commit: '3f2a9c1e4b7d',
      contextDigest: 'sha256:1',
      status: 'built',
      image: 'registry.local/shop/api:3f2a9c1e4b7d',
      imageDigest: 'sha256:0123456789abcdef0000',
      author: 'ann',
      startedAt: '2026-12-06T10:00:00.000Z',
      logFile: '/x.log',
    },
    {
      buildId: 'b1-abc',
      app: 'shop',
      env: 'test',
      service: 'web',
      kind: 'command',
      commit: '3f2a9c1e4b7d',
      contextDigest: 'sha256:2',
      status: 'failed',
      author: 'ann',
      startedAt: '2026-12-06T10:00:00.000Z',
      logFile: '/x.log',
      error: 'exit code 2',
    },
  ],
};
const delivery: HookDelivery = {
  id: 1,
  provider: 'gitlab',
  app: 'shop',
  deliveryId: 'd-9',
  receivedAt: '2026-12-06T10:05:00.000Z',
  event: 'Push Hook',
  status: 202,
  outcome: 'triggered',
  runId: '7',
  ref: 'refs/heads/main',
};

describe('pipelines page tabs', () => {
  it('shows a build’s services: the image and its digest, the failed one with its error', async () => {
    answerFetch({ '/api/v1/builds': [build] });
    renderAt(<Pipelines />, '/apps/shop/test/pipelines?tab=builds', '/apps/:app/:env/pipelines');
    expect(await screen.findByText('Build b1-abc')).toBeTruthy();
    expect(screen.getByText('registry.local/shop/api:3f2a9c1e4b7d')).toBeTruthy();
    expect(screen.getByText('0123456789ab')).toBeTruthy();
    expect(screen.getByText('Code snapshot')).toBeTruthy();
    expect(screen.getByText('exit code 2')).toBeTruthy();
    expect(screen.getByText('web: Failed')).toBeTruthy();
  });

  it('lists deliveries with a run link, the hook URLs, and says a pipeline is needed, in simplified Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    try {
      answerFetch({ '/api/v1/hooks/deliveries': [delivery] });
      renderAt(<Pipelines />, '/apps/shop/test/pipelines?tab=deliveries', '/apps/:app/:env/pipelines');
      expect(await screen.findByText('已触发执行')).toBeTruthy();
      expect(screen.getByText(`${window.location.origin}/api/v1/hooks/gitlab/shop`)).toBeTruthy();
      expect(screen.getByText('X-Gitlab-Token：密钥本身')).toBeTruthy();
      expect(await screen.findByText(/请先设置流水线（berth pipeline set shop -f pipeline.yaml）/)).toBeTruthy();
      expect(screen.queryByTestId('no-pipeline')).toBeNull();
      fireEvent.click(screen.getByTestId('run-link-7'));
      expect(await screen.findByTestId('no-pipeline')).toBeTruthy();
    } finally {
      await i18n.changeLanguage('en');
    }
  });
});
