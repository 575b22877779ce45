/**
 * An alert rule of one app in one environment: what it watches (`metric`, optionally one service),
 * when it is breached (`threshold` for measured metrics; any occurrence for events), how long a
 * breach must last before it fires (`for`), its severity and labels, and where it is sent.
 */
import { z } from 'zod';
import { dnsLabel } from '../spec/dnsLabel.js';
import { durationMs } from '../spec/units.js';
import { Channel } from './channel.js';

/** Metrics measured as a number and compared with `threshold`. */
export const MEASURED_METRICS = ['error-rate', 'p99', 'restarts', 'unavailable-replicas'] as const;
/** Events: the rule is breached while one happened within the evaluation window; no threshold. */
export const EVENT_METRICS = [
  'release-failed',
  'release-rolled-back',
  'circuit-open',
  'job-failed',
  'cronjob-missed',
] as const;
/** Every metric a rule can watch. */
export const ALERT_METRICS = [...MEASURED_METRICS, ...EVENT_METRICS] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

/** How urgent an alert is (Alertmanager's `severity` label). */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A Prometheus label name; `alertname`, `app`, `env`, `service` and `severity` are set by Berth. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED_LABELS = new Set(['alertname', 'app', 'env', 'service', 'severity']);

const measured = new Set<string>(MEASURED_METRICS);

/** The body of PUT …/alerts/rules/:name (the name is the path's). */
export const AlertRuleInput = z
  .object({
    metric: z
      .enum(ALERT_METRICS, { error: `unknown metric (one of ${ALERT_METRICS.join(', ')})` })
      .describe(
        'What the rule watches: error-rate (5xx share, 0..1), p99 (latency in ms), restarts (replica restarts in the window), unavailable-replicas, or an event: release-failed, release-rolled-back, circuit-open, job-failed, cronjob-missed',
      ),
    service: dnsLabel()
      .optional()
      .describe('Only this service (default: any service of the app; each service is its own alert)'),
    threshold: z
      .number()
      .nonnegative()
      .optional()
      .describe('Breached when the measured value is above it (measured metrics only; required for them)'),
    for: durationMs()
      .prefault('0s')
      .describe('How long a breach must last before the alert fires (pending until then). Default `0s`'),
    severity: z.enum(SEVERITIES).prefault('warning').describe('critical, warning or info. Default `warning`'),
    labels: z
      .record(z.string().regex(LABEL_NAME, 'a label name is letters, digits and _'), z.string().max(1024))
      .superRefine((labels, ctx) => {
        for (const key of Object.keys(labels))
          if (RESERVED_LABELS.has(key))
            ctx.addIssue({ code: 'custom', path: [key], message: `${key} is set by Berth` });
      })
      .prefault({})
      .describe('Extra labels sent with every notification (e.g. team: payments)'),
    summary: z.string().max(1024).optional().describe('A line of text sent with the alert'),
    notify: z.array(Channel).max(20).prefault([]).describe('Where the alert is sent when it fires and resolves'),
  })
  .strict()
  // Checked whenever metric and threshold themselves are valid, whatever else is wrong, so a rule's
  // problems are all named at once (zod skips a refinement after an aborting issue by default).
  .superRefine(
    (r, ctx) => {
      const isMeasured = measured.has(r.metric);
      if (isMeasured && r.threshold === undefined)
        ctx.addIssue({ code: 'custom', path: ['threshold'], message: `${r.metric} needs a threshold` });
      if (!isMeasured && r.threshold !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['threshold'],
          message: `${r.metric} is an event and takes no threshold`,
        });
      if (r.metric === 'error-rate' && r.threshold !== undefined && r.threshold > 1)
        ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'an error rate is a share between 0 and 1' });
    },
    {
      when: (payload) =>
        typeof payload.value === 'object' &&
        payload.value !== null &&
        !payload.issues.some((i) => i.path?.[0] === 'metric' || i.path?.[0] === 'threshold'),
    },
  );
export type AlertRuleInput = z.input<typeof AlertRuleInput>;
export type AlertRuleSpec = z.output<typeof AlertRuleInput>;

/** A stored rule with its identity. */
export interface AlertRule extends AlertRuleSpec {
  app: string;
  env: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}
