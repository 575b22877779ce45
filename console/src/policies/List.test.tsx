import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Policies } from '../api/types';
import { answerFetch, renderAt } from '../test/render';
import PoliciesList from './List';

const BASE = '/api/v1/apps/shop/envs/dev';
const policies: Policies = {
  app: 'shop',
  env: 'dev',
  revision: 3,
  services: {
    web: { rateLimit: { requestsPerSecond: 5, burst: 10 }, timeoutMs: 2000 },
    orders: null,
  },
  routes: [{ path: '/api', service: 'orders', policy: null }],
};

describe('policies page', () => {
  it('lists the policies of services and routes, and edits one as berth.yaml', async () => {
    const fetch = answerFetch({
      [`${BASE}/policy`]: policies,
      [`PUT ${BASE}/services/web/policy`]: [
        400,
        {
          code: 'VALIDATION',
          message: 'invalid request',
          problems: [{ path: 'policy.rateLimit.requestsPerSecond', message: 'must be above 0' }],
        },
      ],
    });
    renderAt(<PoliciesList />, '/apps/shop/dev/policies', '/apps/:app/:env/policies');
    expect(await screen.findByText('rate limit 5/s, burst 10')).toBeTruthy();
    expect(screen.getByText('timeout 2s')).toBeTruthy();
    expect(screen.getAllByText('none')).toHaveLength(2);
    expect((screen.getByTestId('clear-policy-service:orders') as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getByTestId('edit-policy-service:web'));
    const text = (await screen.findByTestId('policy-yaml')) as HTMLTextAreaElement;
    expect(text.value).toBe('rateLimit:\n  requestsPerSecond: 5\n  burst: 10\ntimeout: 2s\n');

    // not YAML: refused before anything is sent, with the line
    fireEvent.change(text, { target: { value: 'rateLimit: [' } });
    fireEvent.click(screen.getByTestId('save-policy'));
    expect(await screen.findByText('The policy is not valid YAML')).toBeTruthy();
    expect(fetch.mock.calls.filter(([, init]) => (init as RequestInit | undefined)?.method === 'PUT')).toHaveLength(0);

    // refused by the control plane: its field path shows, the editor stays open
    fireEvent.change(text, { target: { value: 'rateLimit: { requestsPerSecond: 0 }' } });
    fireEvent.click(screen.getByTestId('save-policy'));
    await waitFor(() =>
      expect(document.querySelector('.problem-path')?.textContent).toBe('policy.rateLimit.requestsPerSecond'),
    );
    const put = fetch.mock.calls.find(([, init]) => (init as RequestInit | undefined)?.method === 'PUT')!;
    expect(JSON.parse((put[1] as RequestInit).body as string)).toEqual({
      policy: { rateLimit: { requestsPerSecond: 0 } },
    });
    expect(screen.getByTestId('policy-yaml')).toBeTruthy();
  });

  it('sends a route’s policy by its path', async () => {
    const fetch = answerFetch({
      [`${BASE}/policy`]: policies,
      [`PUT ${BASE}/routes/policy`]: [202, { revision: 4, status: 'pending', kind: 'policy', steps: [] }],
    });
    renderAt(<PoliciesList />, '/apps/shop/dev/policies', '/apps/:app/:env/policies');
    fireEvent.click(await screen.findByTestId('edit-policy-route:/api'));
    fireEvent.change(await screen.findByTestId('policy-yaml'), { target: { value: 'timeout: 500ms' } });
    fireEvent.click(screen.getByTestId('save-policy'));
    await waitFor(() => expect(document.querySelector('.release-progress[data-revision="4"]')).not.toBeNull());
    const put = fetch.mock.calls.find(([, init]) => (init as RequestInit | undefined)?.method === 'PUT')!;
    expect(JSON.parse((put[1] as RequestInit).body as string)).toEqual({
      path: '/api',
      policy: { timeout: '500ms' },
    });
  });
});
