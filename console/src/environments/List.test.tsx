import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Environment } from '../api/types';
import { answerFetch, renderAt } from '../test/render';
import { EnvironmentsList } from './List';

const local = (name: string, containers?: string): Environment =>
  ({
    name,
    target: { kind: 'local', ...(containers ? { containers } : {}) },
    defaults: {},
    createdAt: '2026-01-01T00:00:00Z',
  }) as Environment;
const cluster: Environment = {
  name: 'prod',
  target: { kind: 'kubernetes', namespace: 'shop' },
  defaults: {},
  createdAt: '2026-01-01T00:00:00Z',
};

/** The visible label of an antd select. */
const selected = (testId: string): string | null | undefined =>
  screen.getByTestId(testId).querySelector('.ant-select-content')?.getAttribute('title');

afterEach(() => vi.unstubAllGlobals());

describe('environments and their containers mode', () => {
  it('shows each local environment’s mode (auto when unset) and a cluster runs images', async () => {
    answerFetch({ '/api/v1/environments': [local('dev'), local('ci', 'never'), cluster] });
    renderAt(<EnvironmentsList />, '/environments');
    await screen.findByText('dev');
    expect(selected('containers-dev')).toBe('auto');
    expect(selected('containers-ci')).toBe('never');
    expect(screen.queryByTestId('containers-prod')).toBeNull();
    expect(screen.getByText('images (cluster)')).toBeTruthy();
  });

  it('sets the mode with PATCH { containers } and shows the environment as it now is', async () => {
    const fetch = answerFetch({
      '/api/v1/environments': [local('dev')],
      'PATCH /api/v1/environments/dev': local('dev', 'always'),
    });
    renderAt(<EnvironmentsList />, '/environments');
    await screen.findByText('dev');
    fireEvent.mouseDown(screen.getByTestId('containers-dev'));
    fireEvent.click(await screen.findByTitle('always'));
    await waitFor(() => expect(fetch.mock.calls.some(([, init]) => init?.method === 'PATCH')).toBe(true));
    const patch = fetch.mock.calls.find(([, init]) => init?.method === 'PATCH')!;
    expect(String(patch[0])).toBe('/api/v1/environments/dev');
    expect(JSON.parse(String(patch[1]!.body))).toEqual({ containers: 'always' });
    expect(await screen.findByText(/Containers mode of dev is now always/)).toBeTruthy();
    // The list is read again after the change.
    await waitFor(() =>
      expect(
        fetch.mock.calls.filter(
          ([u, init]) => String(u) === '/api/v1/environments' && (init?.method ?? 'GET') === 'GET',
        ).length,
      ).toBeGreaterThan(1),
    );
  });

  it('creates a local environment with a containers mode, and says it in simplified Chinese', async () => {
    const { default: i18n } = await import('../i18n');
    await i18n.changeLanguage('zh-CN');
    try {
      const fetch = answerFetch({
        '/api/v1/environments': [local('dev', 'never')],
        'POST /api/v1/environments': local('x'),
      });
      renderAt(<EnvironmentsList />, '/environments');
      await screen.findByText('dev');
      expect(selected('containers-dev')).toBe('从不');
      expect(screen.getByText('容器')).toBeTruthy();
      fireEvent.click(screen.getByTestId('new-environment'));
      fireEvent.change(await screen.findByTestId('environment-name'), { target: { value: 'box' } });
      fireEvent.mouseDown(screen.getByTestId('environment-containers'));
      fireEvent.click(await screen.findByTitle('总是'));
      fireEvent.click(screen.getByText('创 建').closest('button') ?? screen.getByText('创建'));
      await waitFor(() => expect(fetch.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(true));
      const post = fetch.mock.calls.find(([, init]) => init?.method === 'POST')!;
      expect(JSON.parse(String(post[1]!.body))).toMatchObject({
        name: 'box',
        target: { kind: 'local', containers: 'always' },
      });
    } finally {
      await i18n.changeLanguage('en');
    }
  });
});
