import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ConfigView, PlanResult } from '../api/types';
import { answerFetch, renderAt } from '../test/render';
import { FilesEditor } from './FilesEditor';

const view = {
  app: 'shop',
  env: 'dev',
  version: 4,
  values: {},
  files: { 'rules.json': { content: '{"max":3}', secret: false } },
} as unknown as ConfigView;

const plan = {
  plan: {
    app: 'shop',
    env: 'dev',
    toConfigVersion: 5,
    changed: true,
    levels: [['orders']],
    routes: { added: [], removed: [] },
    services: [
      {
        service: 'orders',
        action: 'update',
        restart: true,
        changes: [
          { path: 'files.rules.json', from: '{"max":3}', to: '{"max":5}', because: ['config file:rules.json'] },
        ],
      },
    ],
  },
} as unknown as PlanResult;

describe('files editor', () => {
  it('shows which services a file change restarts before it is saved', async () => {
    const fetch = answerFetch({ 'POST /api/v1/plans': plan });
    renderAt(<FilesEditor app="shop" env="dev" view={view} onSaved={() => undefined} />, '/');
    fireEvent.click(await screen.findByText('Edit'));
    const content = (await screen.findByDisplayValue('{"max":3}')) as HTMLTextAreaElement;
    fireEvent.change(content, { target: { value: '{"max":5}' } });
    await waitFor(() => expect(screen.getByTestId('impact').textContent).toContain('orders'), { timeout: 5000 });
    expect(screen.getByTestId('impact').textContent).toContain('config file:rules.json');
    const call = fetch.mock.calls.filter(([url]) => String(url).endsWith('/api/v1/plans')).at(-1)!;
    expect(JSON.parse(String((call[1] as RequestInit).body))).toEqual({
      app: 'shop',
      env: 'dev',
      config: { baseVersion: 4, files: { 'rules.json': '{"max":5}' } },
    });
  });
});
