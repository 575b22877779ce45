/** Alert rules of an app in an environment: list, read, create or replace, delete. */
import { z } from 'zod';
import type { AlertPhase } from '../../alerts/alertState.js';
import type { AlertInstance } from '../../alerts/evaluator.js';
import { ruleView } from '../../alerts/ruleStore.js';
import { authorOf } from '../identity.js';
import { dnsLabel } from '../../spec/dnsLabel.js';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';
import { timeRangeOf } from './timeRange.js';
import { alertRulesFileRoute } from './alertRulesFile.js';
import type { HistoryQuery } from '../../alerts/history.js';
import { ValidationError } from '../../errors.js';

const RuleParams = AppEnvParams.extend({ name: dnsLabel().describe('Rule name') });
const base = '/api/v1/apps/:app/envs/:env/alerts/rules';

/** An alert instance as the API shows it. */
export interface AlertView {
  rule: string;
  service?: string;
  phase: AlertPhase;
  /** When the current breach began (pending, firing). */
  since?: string;
  firedAt?: string;
  resolvedAt?: string;
  value?: number;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The alerts of an app in an environment that are pending, firing or just resolved. */
export function alertViews(instances: readonly AlertInstance[], app: string, env: string): AlertView[] {
  return instances
    .filter((i) => i.app === app && i.env === env)
    .map((i) => {
      const view: AlertView = { rule: i.rule, phase: i.state.phase };
      if (i.service !== undefined) view.service = i.service;
      const since = iso(i.state.breachedSince);
      if (since !== undefined && (i.state.phase === 'pending' || i.state.phase === 'firing')) view.since = since;
      const fired = iso(i.state.firedAt);
      if (fired !== undefined) view.firedAt = fired;
      const resolved = iso(i.state.resolvedAt);
      if (resolved !== undefined) view.resolvedAt = resolved;
      if (i.state.value !== undefined) view.value = i.state.value;
      return view;
    })
    .sort((a, b) => a.rule.localeCompare(b.rule) || (a.service ?? '').localeCompare(b.service ?? ''));
}

export const HistoryParams = z.object({
  rule: z.string().optional().describe('Only this rule'),
  service: z.string().optional().describe('Only this service'),
  since: z.string().optional().describe('From this time: ISO 8601, or a duration ago (15m, 1h, 2d)'),
  until: z.string().optional().describe('Up to this time: ISO 8601, or a duration ago'),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('At most this many entries, the newest'),
});

/** The history query of a request; a time it cannot read, or a range that ends before it starts, names its field. */
export function historyQuery(app: string, env: string, q: z.infer<typeof HistoryParams>, nowMs: number): HistoryQuery {
  const { sinceMs, untilMs, problems } = timeRangeOf(q, nowMs);
  if (problems.length > 0) throw new ValidationError('invalid alert history query', problems);
  return {
    app,
    env,
    ...(q.rule ? { rule: q.rule } : {}),
    ...(q.service ? { service: q.service } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    ...(untilMs !== undefined ? { untilMs } : {}),
    limit: q.limit,
  };
}

export function alertRoutes(api: Api, ctx: ServerContext): void {
  alertRulesFileRoute(api, ctx);
  api.get(
    '/api/v1/apps/:app/envs/:env/alerts',
    {
      schema: {
        summary: 'The alerts of an app in an environment that are pending, firing or just resolved',
        tags: ['alerts'],
        params: AppEnvParams,
      },
    },
    async (req) => alertViews(ctx.alerts?.instances() ?? [], req.params.app, req.params.env),
  );
  api.get(
    base,
    { schema: { summary: 'The alert rules of an app in an environment', tags: ['alerts'], params: AppEnvParams } },
    async (req) => (await ctx.alertRules.list(req.params.app, req.params.env)).map(ruleView),
  );
  api.get(
    `${base}/:name`,
    {
      schema: {
        summary: 'One alert rule (channel URLs and secrets never shown)',
        tags: ['alerts'],
        params: RuleParams,
      },
    },
    async (req) => ruleView(await ctx.alertRules.get(req.params.app, req.params.env, req.params.name)),
  );
  api.put(
    `${base}/:name`,
    {
      schema: {
        summary:
          'Create (201) or replace (200) an alert rule: metric, threshold, for, severity, labels, notify channels. A bad field is refused with 400 naming it',
        tags: ['alerts'],
        params: RuleParams,
        body: z.unknown().describe('An alert rule (docs/alerts.md)'),
      },
    },
    async (req, reply) => {
      const { app, env, name } = req.params;
      await ctx.environments.get(env);
      const { rule, created } = await ctx.alertRules.put(app, env, name, req.body);
      return reply.status(created ? 201 : 200).send(ruleView(rule));
    },
  );
  api.delete(
    `${base}/:name`,
    { schema: { summary: 'Delete an alert rule', tags: ['alerts'], params: RuleParams } },
    async (req, reply) => {
      await ctx.alertRules.delete(req.params.app, req.params.env, req.params.name);
      return reply.status(204).send();
    },
  );
  api.get(
    '/api/v1/apps/:app/envs/:env/alerts/history',
    {
      schema: {
        summary:
          'What the alerts of an app went through, newest first: pending, firing, resolved, silenced, and each channel’s delivery (delivered, or undelivered with its last error)',
        tags: ['alerts'],
        params: AppEnvParams,
        querystring: HistoryParams,
      },
    },
    async (req) => ctx.alertHistory.query(historyQuery(req.params.app, req.params.env, req.query, Date.now())),
  );
  const silences = '/api/v1/apps/:app/envs/:env/alerts/silences';
  api.get(
    silences,
    {
      schema: {
        summary: 'The silences of an app in an environment that have not ended',
        tags: ['alerts'],
        params: AppEnvParams,
      },
    },
    async (req) => ctx.silences.active(req.params.app, req.params.env),
  );
  api.post(
    silences,
    {
      schema: {
        summary: 'Silence the notifications of an app’s alerts (one rule’s, one service’s) for a while',
        tags: ['alerts'],
        params: AppEnvParams,
        body: z.unknown().describe('{ rule?, service?, for, comment? } (docs/alerts.md)'),
      },
    },
    async (req, reply) => {
      const { app, env } = req.params;
      await ctx.environments.get(env);
      return reply.status(201).send(await ctx.silences.create(app, env, req.body, authorOf(req)));
    },
  );
  api.delete(
    `${silences}/:id`,
    {
      schema: {
        summary: 'End a silence now',
        tags: ['alerts'],
        params: AppEnvParams.extend({ id: z.coerce.number().int().positive().describe('Silence id') }),
      },
    },
    async (req, reply) => {
      await ctx.silences.expire(req.params.app, req.params.env, req.params.id);
      return reply.status(204).send();
    },
  );
}
