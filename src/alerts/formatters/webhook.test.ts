/** The generic webhook: Berth's notification with every label, signed with HMAC-SHA256 when it has a secret. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { firing } from './testing.js';
import { webhookAccepted, webhookRequest } from './webhook.js';

describe('the generic webhook', () => {
  it('posts the notification as JSON version 1 with Berth’s labels, unsigned without a secret', () => {
    const r = webhookRequest({ type: 'webhook', url: 'http://127.0.0.1:9/hook' }, firing);
    expect(r.url).toBe('http://127.0.0.1:9/hook');
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['x-berth-signature']).toBeUndefined();
    expect(JSON.parse(r.body)).toEqual({
      version: '1',
      title: '[FIRING] shop/prod orders-errors (critical)',
      status: 'firing',
      app: 'shop',
      env: 'prod',
      rule: 'orders-errors',
      metric: 'error-rate',
      severity: 'critical',
      service: 'orders',
      labels: {
        team: 'payments',
        alertname: 'orders-errors',
        app: 'shop',
        env: 'prod',
        service: 'orders',
        severity: 'critical',
      },
      summary: 'orders answers errors',
      value: 0.12,
      threshold: 0.05,
      startsAt: '2026-12-06T09:00:00.000Z',
    });
  });

  it('signs the exact body with the secret', () => {
    const r = webhookRequest({ type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'hook-secret' }, firing);
    const expected = createHmac('sha256', 'hook-secret').update(r.body).digest('hex');
    expect(r.headers['x-berth-signature']).toBe(`sha256=${expected}`);
  });

  it('takes any 2xx as delivered and nothing else', () => {
    expect(webhookAccepted(204, '')).toEqual({ ok: true });
    expect(webhookAccepted(500, 'boom')).toEqual({ ok: false, reason: 'HTTP 500: boom' });
  });
});
