/** What the alert routes answer, for the OpenAPI document (openapi.ts) and the response serializer. */
import { z } from 'zod';
import { CHANNEL_TYPES } from '../alerts/channel.js';
import { ALERT_METRICS, SEVERITIES } from '../alerts/rule.js';
import { HISTORY_KINDS } from '../alerts/history.js';
import { MASK } from '../model/mask.js';

/** An alert rule as the API shows it (`ruleView`): channel URLs only by origin, secrets masked. */
export const AlertRule = z
  .object({
    app: z.string(),
    env: z.string(),
    name: z.string(),
    metric: z.enum(ALERT_METRICS),
    service: z.string().optional(),
    threshold: z.number().optional(),
    for: z.string().describe('As berth.yaml writes durations: `2m`, `0s`'),
    severity: z.enum(SEVERITIES),
    labels: z.record(z.string(), z.string()),
    summary: z.string().optional(),
    notify: z.array(
      z.object({
        type: z.enum(CHANNEL_TYPES),
        url: z.string().describe('The URL’s origin; its path and query (a robot’s token) are `******`'),
        secret: z.literal(MASK).optional(),
      }),
    ),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe('An alert rule');

export const AlertRuleList = z.array(AlertRule);

/** A rules file checked or applied. */
export const RulesFileResult = z.object({
  applied: z.boolean(),
  rules: z.array(AlertRule.omit({ app: true, env: true, createdAt: true, updatedAt: true })),
});

/** An alert pending, firing or just resolved. */
export const AlertList = z.array(
  z.object({
    rule: z.string(),
    service: z.string().optional(),
    phase: z.enum(['inactive', 'pending', 'firing', 'resolved']),
    since: z.string().optional(),
    firedAt: z.string().optional(),
    resolvedAt: z.string().optional(),
    value: z.number().optional(),
  }),
);

/** A silence. */
export const Silence = z.object({
  id: z.number(),
  app: z.string(),
  env: z.string(),
  rule: z.string().optional(),
  service: z.string().optional(),
  startsAt: z.string(),
  endsAt: z.string(),
  comment: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.string(),
});

export const SilenceList = z.array(Silence);

/** An entry of the alert history. */
export const AlertHistoryList = z.array(
  z.object({
    id: z.number(),
    app: z.string(),
    env: z.string(),
    rule: z.string(),
    service: z.string().optional(),
    kind: z.enum(HISTORY_KINDS),
    at: z.string(),
    value: z.number().optional(),
    status: z.enum(['firing', 'resolved']).optional(),
    channel: z.string().optional(),
    attempts: z.number().optional(),
    error: z.string().optional(),
    startsAt: z.string().optional(),
  }),
);
