/**
 * Push webhooks: `POST /api/v1/hooks/{provider}/{app}` takes GitHub, GitLab and Gitea (Forgejo)
 * deliveries without a Berth token (the signature or token of the app's webhook secret is their
 * identity; app.ts lets the route through), with the raw body kept for the signature; and
 * `GET /api/v1/hooks/deliveries` lists what every delivery came to (with a token).
 */
import { visibleTo } from '../visibility.js';
import { z } from 'zod';
import type { FastifyError } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { receiveHook, refuseOversized, type ReceiverDeps } from '../../hooks/receiver.js';

/** The webhook route: the token check of app.ts lets it through. */
export const HOOK_URL = '/api/v1/hooks/:provider/:app';

/** The largest webhook body taken (GitHub lists at most 20 commits of a push; 2 MiB is ample). */
export const HOOK_BODY_LIMIT_BYTES = 2 * 1024 * 1024;

export function hookRoutes(api: Api, ctx: ServerContext): void {
  const deps = (): ReceiverDeps => ({
    triggers: ctx.pipelineTriggers,
    deliveries: ctx.hookDeliveries,
    onError: (err, app) => ctx.logger.error({ err, app }, 'webhook delivery failed in the pipelines'),
  });

  // Its own context: a content-type parser that keeps the raw bytes (any type) for this route only.
  void api.register(async (instance) => {
    const hooks = instance.withTypeProvider<ZodTypeProvider>();
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: HOOK_BODY_LIMIT_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    hooks.setErrorHandler<FastifyError, { Params: { provider: string; app: string } }>(async (err, req, reply) => {
      if (err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw err;
      const { provider, app } = req.params;
      const answer = await refuseOversized({ provider, app, headers: req.headers }, HOOK_BODY_LIMIT_BYTES, deps());
      return reply.status(answer.status).send(answer.body);
    });
    hooks.post(
      HOOK_URL,
      {
        schema: {
          summary:
            "A GitHub, GitLab or Gitea (Forgejo) webhook delivery for {app}'s pipeline: no Berth token, the body signed with (or the token equal to) the app's webhook secret; a repeated delivery id is refused (docs/webhooks.md)",
          tags: ['hooks'],
          security: [],
          params: z.object({
            provider: z.string().describe('github, gitlab, gitea or forgejo'),
            app: z.string().describe('The app whose pipeline the delivery triggers'),
          }),
        },
      },
      async (req, reply) => {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const { provider, app } = req.params;
        const answer = await receiveHook({ provider, app, headers: req.headers, body }, deps());
        // Anyone can send a refused delivery: those are logged at debug only (and listed for the app).
        const fields = { provider, app, status: answer.status, ...answer.body };
        if (answer.status < 300) ctx.logger.info(fields, 'webhook delivery');
        else ctx.logger.debug(fields, 'webhook delivery refused');
        return reply.status(answer.status).send(answer.body);
      },
    );
  });

  api.get(
    '/api/v1/hooks/deliveries',
    {
      schema: {
        summary: 'The webhook deliveries received, newest first, refused ones too: what each came to',
        tags: ['hooks'],
        querystring: z.object({
          app: z.string().min(1).optional().describe('Only this app'),
          limit: z.coerce.number().int().min(1).max(1000).default(100).describe('At most this many (default 100)'),
        }),
      },
    },
    async (req) => {
      const visible = await visibleTo(req, ctx, 'hooks:read');
      const all = await ctx.hookDeliveries.list({
        limit: req.query.limit,
        ...(req.query.app ? { app: req.query.app } : {}),
      });
      return all.filter((d) => visible({ app: d.app }));
    },
  );
}
