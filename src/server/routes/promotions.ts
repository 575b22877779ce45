/**
 * Promotion between environments: `POST /api/v1/promotions` deploys the exact spec, image digests and
 * code of an app's running revision in `from` to `to` with `to`'s config; `POST
 * /api/v1/promotions/preview` answers what it would do (the config difference, secrets by digest,
 * and the plan) without writing anything. The work is src/release/promote.ts's.
 */
import { authorize } from '../routePermissions.js';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { authorOf } from '../identity.js';
import { Wait, waitOptions } from './operationWait.js';
import { previewPromotion, promote, type PromoteDeps } from '../../release/promote.js';
import { DNS_LABEL } from '../../model/names.js';
import { approvalsOf, askFor } from '../approvalAsk.js';

const name = (what: string) => z.string().min(1).max(63).regex(DNS_LABEL, `must be ${what}`);

export const PromotionPreviewBody = z.strictObject({
  app: name('an app name: lowercase letters, digits and -').describe('The app to promote'),
  from: z.string().min(1).describe('The environment whose running revision is promoted'),
  to: z.string().min(1).describe('The environment it is deployed to, with its own config'),
});

export const PromotionBody = PromotionPreviewBody.extend({
  message: z.string().max(500).optional().describe('Why (default: `promoted from FROM@REVISION`)'),
  confirmed: z
    .boolean()
    .default(false)
    .describe('The explicit confirmation a protected `to` needs (refused with 403 without it)'),
  revision: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("`from`'s revision to promote (what a preview showed): refused with 409 once `from` runs another"),
  configVersion: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("`to`'s config version to render with (what a preview's plan used); its current one when omitted"),
  wait: Wait,
});

export function promotionRoutes(api: Api, ctx: ServerContext): void {
  const deps: PromoteDeps = {
    engine: ctx.engine,
    releases: ctx.releases,
    environments: ctx.environments,
    configSets: ctx.configSets,
  };

  api.post(
    '/api/v1/promotions/preview',
    {
      schema: {
        summary:
          "What a promotion would do: the app's config difference between the environments (secrets compared by digest, never shown) and the plan of what changes in `to`; nothing is written",
        tags: ['releases'],
        body: PromotionPreviewBody,
      },
    },
    async (req) => {
      await authorize(req, ctx, 'apps:read', { app: req.body.app, env: req.body.from });
      return previewPromotion(deps, req.body);
    },
  );

  api.post(
    '/api/v1/promotions',
    {
      schema: {
        summary:
          "Promote: a new revision in `to` with the exact spec, image digests and code of the app's running revision in `from`, rendered with `to`'s config",
        tags: ['releases'],
        body: PromotionBody,
      },
    },
    async (req, reply) => {
      const b = req.body;
      // What is promoted is FROM's running revision: reading it there too.
      await authorize(req, ctx, 'apps:read', { app: b.app, env: b.from });
      if (await approvalsOf(ctx, b.to)) {
        await previewPromotion(deps, b); // what is asked for must exist: FROM's revision, TO's config
        const ask = { action: 'promote' as const, app: b.app, env: b.to, request: b, reason: b.message };
        return reply.status(202).send(await askFor(req, ctx, ask));
      }
      const { release } = await promote(deps, {
        app: b.app,
        from: b.from,
        to: b.to,
        author: authorOf(req),
        confirmed: b.confirmed,
        ...(b.message === undefined ? {} : { message: b.message }),
        ...(b.revision === undefined ? {} : { revision: b.revision }),
        ...(b.configVersion === undefined ? {} : { configVersion: b.configVersion }),
        ...waitOptions(b.wait, reply),
      });
      return reply.status(202).send(release);
    },
  );
}
