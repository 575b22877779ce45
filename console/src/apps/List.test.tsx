import { screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { answerFetch, renderAt } from '../test/render';
import { AppsList } from './List';
import type { AppStatus, AppSummary, Release } from '../api/types';

const release = { revision: 7, kind: 'deploy', status: 'failed', createdAt: new Date().toISOString() } as Release;

describe('apps overview', () => {
  it('shows an empty state that says how to deploy the first app', async () => {
    answerFetch({ '/api/v1/apps': [] });
    renderAt(<AppsList />, '/');
    expect(await screen.findByText(/No apps yet/)).toBeTruthy();
    expect(screen.getByText('npx berth up examples/shop')).toBeTruthy();
  });

  it('shows each app with its health, service count and last release', async () => {
    const apps: AppSummary[] = [{ app: 'shop', env: 'prod', lastRelease: release, currentRevision: 6, down: false }];
    const status: AppStatus = {
      app: 'shop',
      env: 'prod',
      currentRevision: 6,
      lastRelease: release,
      services: [
        { app: 'shop', env: 'prod', service: 'web', readyReplicas: 1, desiredReplicas: 1, replicas: [] },
        { app: 'shop', env: 'prod', service: 'orders', readyReplicas: 0, desiredReplicas: 2, replicas: [] },
      ],
    };
    answerFetch({ '/api/v1/apps': apps, '/api/v1/apps/shop/envs/prod/status': status });
    renderAt(<AppsList />, '/');
    await waitFor(
      () =>
        expect(document.querySelector('[data-app="shop/prod"] [data-health]')!.getAttribute('data-health')).toBe(
          'down',
        ),
      // the status arrives after the list; on a loaded 2-core machine that takes more than the default 1 s
      { timeout: 5000 },
    );
    const card = document.querySelector('[data-app="shop/prod"]')!;
    expect(card.querySelector('.ant-statistic-content')!.textContent).toBe('2');
    expect(card.textContent).toContain('revision 7');
    expect(card.querySelector('[data-status]')!.getAttribute('data-status')).toBe('failed');
  });
});
