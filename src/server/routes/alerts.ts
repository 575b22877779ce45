/** Alert rules of an app in an environment: list, read, create or replace, delete. */
import { z } from 'zod';
import { ruleView } from '../../alerts/ruleStore.js';
import { dnsLabel } from '../../spec/dnsLabel.js';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';

const RuleParams = AppEnvParams.extend({ name: dnsLabel().describe('Rule name') });
const base = '/api/v1/apps/:app/envs/:env/alerts/rules';

export function alertRoutes(api: Api, ctx: ServerContext): void {
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
}
