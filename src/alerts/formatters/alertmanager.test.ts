/** Alertmanager's POST /api/v2/alerts payload: postable alerts with labels, annotations, startsAt and endsAt. */
import { describe, expect, it } from 'vitest';
import { alertmanagerAccepted, alertmanagerRequest } from './alertmanager.js';
import { firing, resolved } from './testing.js';

describe('the Alertmanager formatter', () => {
  it('posts a firing alert to <url>/api/v2/alerts with Berth’s labels and no endsAt', () => {
    const r = alertmanagerRequest({ type: 'alertmanager', url: 'http://127.0.0.1:9093/' }, firing);
    expect(r.url).toBe('http://127.0.0.1:9093/api/v2/alerts');
    expect(JSON.parse(r.body)).toEqual([
      {
        labels: {
          team: 'payments',
          alertname: 'orders-errors',
          app: 'shop',
          env: 'prod',
          service: 'orders',
          severity: 'critical',
        },
        annotations: {
          summary: 'orders answers errors',
          description: 'error-rate of orders is 0.12 (threshold 0.05)',
          value: '0.12',
        },
        startsAt: '2026-12-06T09:00:00.000Z',
      },
    ]);
  });

  it('keeps a path prefix and resolves with endsAt', () => {
    const r = alertmanagerRequest({ type: 'alertmanager', url: 'http://127.0.0.1:9093/am' }, resolved);
    expect(r.url).toBe('http://127.0.0.1:9093/am/api/v2/alerts');
    expect(JSON.parse(r.body)).toMatchObject([{ endsAt: '2026-12-06T09:10:00.000Z' }]);
  });

  it('takes 200 as delivered and 400 as refused', () => {
    expect(alertmanagerAccepted(200, '')).toEqual({ ok: true });
    expect(alertmanagerAccepted(400, 'bad')).toMatchObject({ ok: false });
  });
});
