import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../api/types';
import { PlanView } from './PlanView';

const plan: Plan = {
  app: 'shop',
  env: 'local',
  fromConfigVersion: 1,
  toConfigVersion: 2,
  levels: [['inventory'], ['web']],
  changed: true,
  routes: { added: [{ pathPrefix: '/new', service: 'web', stripPrefix: false }], removed: [], policyChanged: [] },
  edge: [],
  services: [
    {
      service: 'inventory',
      action: 'unchanged',
      restart: false,
      fromReplicas: 1,
      toReplicas: 1,
      strategy: 'rolling',
      changes: [],
    },
    {
      service: 'web',
      action: 'update',
      restart: true,
      fromReplicas: 1,
      toReplicas: 2,
      strategy: 'rolling',
      changes: [{ path: 'env.GREETING', from: 'Hi', to: 'Hello', because: ['config GREETING'] }],
    },
  ],
};

describe('PlanView', () => {
  it('shows each service’s action, whether it restarts, and its changes side by side with why', () => {
    render(<PlanView plan={plan} leftTitle="revision 1" rightTitle="revision 2" />);
    expect(screen.getByText('update')).toBeTruthy();
    expect(screen.getByText('restart')).toBeTruthy();
    expect(screen.getByText('1 → 2')).toBeTruthy();
    expect(screen.getByText('env.GREETING')).toBeTruthy();
    expect(screen.getByText('Hi').closest('td')!.cellIndex).toBe(1);
    expect(screen.getByText('Hello').closest('td')!.cellIndex).toBe(2);
    expect(screen.getByText('config GREETING')).toBeTruthy();
    expect(screen.getByText('revision 1')).toBeTruthy();
    expect(screen.getByText('/new → web')).toBeTruthy();
  });

  it('shows a route whose policy changes as a policy change, not as a route removed and added', () => {
    const route = { pathPrefix: '/api', service: 'web', stripPrefix: false };
    render(
      <PlanView
        plan={{
          ...plan,
          routes: { added: [], removed: [], policyChanged: [{ route, to: { timeoutMs: 500 } }] },
        }}
      />,
    );
    const row = document.querySelector('[data-route-policy]')!;
    expect(row.textContent).toContain('policy changed');
    expect(row.textContent).toContain('/api → web');
    expect(screen.queryByText('added')).toBeNull();
    expect(screen.queryByText('removed')).toBeNull();
  });

  it('says when nothing changes', () => {
    render(
      <PlanView
        plan={{
          ...plan,
          changed: false,
          routes: { added: [], removed: [], policyChanged: [] },
          services: [plan.services[0]!],
        }}
      />,
    );
    expect(screen.getByText('Nothing changes.')).toBeTruthy();
  });
});
