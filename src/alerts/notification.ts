/**
 * A notification: one alert instance (a rule, for one service when it watches services) firing or
 * resolved, with what was measured. Every channel's formatter turns this one shape into its payload.
 */
import type { AlertMetric, Severity } from './rule.js';

/** The state a notification reports. */
export type NotificationStatus = 'firing' | 'resolved';

/** What is sent when an alert fires or resolves. */
export interface Notification {
  status: NotificationStatus;
  app: string;
  env: string;
  /** The rule's name (Alertmanager's `alertname`). */
  rule: string;
  metric: AlertMetric;
  severity: Severity;
  /** The service the alert is about, when the metric is per service. */
  service?: string;
  /** The rule's own labels. */
  labels: Record<string, string>;
  summary?: string;
  /** The measured value that breached (or, when resolved, the last one). */
  value?: number;
  threshold?: number;
  /** ISO time the alert started firing. */
  startsAt: string;
  /** ISO time it resolved. */
  endsAt?: string;
}

/** Every label of a notification, Berth's first: alertname, app, env, service, severity. */
export function labelsOf(n: Notification): Record<string, string> {
  return {
    ...n.labels,
    alertname: n.rule,
    app: n.app,
    env: n.env,
    ...(n.service !== undefined ? { service: n.service } : {}),
    severity: n.severity,
  };
}

/** `[FIRING] shop/prod orders-errors (critical)`. */
export function titleOf(n: Notification): string {
  return `[${n.status.toUpperCase()}] ${n.app}/${n.env} ${n.rule} (${n.severity})`;
}

/** One line saying what was measured: `error-rate of orders is 0.12 (threshold 0.05)`. */
export function measurementOf(n: Notification): string {
  const subject = `${n.metric}${n.service !== undefined ? ` of ${n.service}` : ''}`;
  if (n.value === undefined) return n.status === 'firing' ? `${subject} happened` : `${subject} is over`;
  const threshold = n.threshold !== undefined ? ` (threshold ${n.threshold})` : '';
  return `${subject} is ${n.value}${threshold}`;
}

/** The lines of a plain-text body: measurement, summary, since/until. */
export function detailLines(n: Notification): string[] {
  return [
    measurementOf(n),
    ...(n.summary !== undefined ? [n.summary] : []),
    `since ${n.startsAt}${n.endsAt !== undefined ? `, resolved ${n.endsAt}` : ''}`,
  ];
}
