/** Notifications the formatter tests send. */
import type { Notification } from '../notification.js';

/** An error-rate alert of shop/prod's orders, firing. */
export const firing: Notification = {
  status: 'firing',
  app: 'shop',
  env: 'prod',
  rule: 'orders-errors',
  metric: 'error-rate',
  severity: 'critical',
  service: 'orders',
  labels: { team: 'payments' },
  summary: 'orders answers errors',
  value: 0.12,
  threshold: 0.05,
  startsAt: '2026-12-06T09:00:00.000Z',
};

/** The same alert, resolved. */
export const resolved: Notification = {
  ...firing,
  status: 'resolved',
  value: 0.01,
  endsAt: '2026-12-06T09:10:00.000Z',
};

/** 2023-11-14T22:13:20Z, the time the signature vectors were computed for. */
export const SIGNED_AT_MS = 1_700_000_000_000;
