import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AlertHistoryEntry, AlertRuleView, AlertView, Silence } from '../api/types';
import { answerFetch, renderAt } from '../test/render';
import AlertsPage from './Page';

const BASE = '/api/v1/apps/shop/envs/dev/alerts';
const at = '2026-12-06T09:00:00.000Z';
const rule: AlertRuleView = {
  app: 'shop',
  env: 'dev',
  name: 'orders-errors',
  metric: 'error-rate',
  service: 'orders',
  threshold: 0.05,
  for: '2m',
  severity: 'critical',
  labels: {},
  notify: [{ type: 'dingtalk', url: 'https://oapi.dingtalk.com/******', secret: '******' }],
  createdAt: at,
  updatedAt: at,
};
const alerts: AlertView[] = [
  { rule: 'orders-errors', service: 'orders', phase: 'firing', since: at, firedAt: at, value: 0.123456 },
  { rule: 'rollbacks', phase: 'resolved', firedAt: at, resolvedAt: at },
];
const silences: Silence[] = [
  {
    id: 7,
    app: 'shop',
    env: 'dev',
    rule: 'orders-errors',
    startsAt: at,
    endsAt: at,
    comment: 'db work',
    createdBy: 'ops',
    createdAt: at,
  },
];
const entry = { app: 'shop', env: 'dev', rule: 'orders-errors', service: 'orders', at, startsAt: at };
const history: AlertHistoryEntry[] = [
  {
    ...entry,
    id: 3,
    kind: 'undelivered',
    status: 'firing',
    channel: 'dingtalk',
    attempts: 20,
    error: 'HTTP 503: busy',
  },
  { ...entry, id: 2, kind: 'firing', value: 0.12 },
];

describe('alerts page', () => {
  it('shows the firing alerts, the rules with their channels, the silences and the history, and ends a silence', async () => {
    const fetch = answerFetch({
      [BASE]: alerts,
      [`${BASE}/rules`]: [rule],
      [`${BASE}/silences`]: silences,
      [`${BASE}/history`]: history,
      [`DELETE ${BASE}/silences/7`]: [204, null],
    });
    renderAt(<AlertsPage />, '/apps/shop/dev/alerts', '/apps/:app/:env/alerts');
    expect(await screen.findByText('Alerts of shop in dev')).toBeTruthy();
    // Only pending and firing alerts are listed as active.
    await screen.findByText('0.123');
    expect(screen.queryByText('rollbacks')).toBeNull();
    expect(screen.getByText('error rate')).toBeTruthy();
    expect(screen.getByText('dingtalk https://oapi.dingtalk.com/******')).toBeTruthy();
    expect(await screen.findByText('db work')).toBeTruthy();
    expect(await screen.findByText('given up after tries: 20; last error: HTTP 503: busy')).toBeTruthy();
    expect(screen.getByText('firing notification')).toBeTruthy();
    fireEvent.click(screen.getByTestId('expire-7'));
    await waitFor(() =>
      expect(fetch.mock.calls.some(([, init]) => (init as RequestInit | undefined)?.method === 'DELETE')).toBe(true),
    );
  });
});
