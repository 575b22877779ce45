/**
 * A rules file sent whole (the console's "apply a rules file"): every problem named with the file's
 * line and field before anything is written (`dryRun` only checks and previews), then every rule of
 * it created or replaced, as `berth alerts rules apply -f` does.
 */
import { z } from 'zod';
import { parseRuleFile } from '../../alerts/ruleFile.js';
import { parseAlertRule, rulePreview, type AlertRulePreview } from '../../alerts/ruleStore.js';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';

export const RulesFileBody = z
  .object({
    file: z.string().max(1_000_000).describe('The YAML text of a rules file (`rules: {NAME: RULE}`, docs/alerts.md)'),
    name: z.string().max(255).default('alerts.yaml').describe('The file’s name, as problems name it'),
    dryRun: z.boolean().default(false).describe('Only check the file and preview its rules; write nothing'),
  })
  .strict();

/** What the route answers: the rules of the file, and whether they were written. */
export interface RulesFileResult {
  applied: boolean;
  rules: AlertRulePreview[];
}

export function alertRulesFileRoute(api: Api, ctx: ServerContext): void {
  api.post(
    '/api/v1/apps/:app/envs/:env/alerts/rules-file',
    {
      schema: {
        summary:
          'Check (dryRun) or apply a whole rules file: 400 naming the line and field of every problem before any rule is written',
        tags: ['alerts'],
        params: AppEnvParams,
        body: RulesFileBody,
      },
    },
    async (req): Promise<RulesFileResult> => {
      const { app, env } = req.params;
      await ctx.environments.get(env);
      const bodies = parseRuleFile(req.body.file, req.body.name);
      const rules = [...bodies].map(([name, body]) => rulePreview(name, parseAlertRule(body)));
      if (req.body.dryRun) return { applied: false, rules };
      for (const [name, body] of bodies) await ctx.alertRules.put(app, env, name, body);
      return { applied: true, rules };
    },
  );
}
