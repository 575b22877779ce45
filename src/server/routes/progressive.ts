/** Steering a running canary, blue-green or A/B rollout: promote (one step, or all) and abort. */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';
import { authorOf } from '../identity.js';

const ServiceParams = AppEnvParams.extend({ service: z.string().min(1).describe('Service name') });

export function progressiveRoutes(api: Api, ctx: ServerContext): void {
  api.post(
    '/api/v1/apps/:app/envs/:env/services/:service/promote',
    {
      schema: {
        summary: "End the current pause of a service's progressive rollout (all remaining steps with full)",
        tags: ['operate'],
        params: ServiceParams,
        body: z
          .object({
            full: z.boolean().default(false).describe('Skip every remaining step and analysis'),
          })
          .default({ full: false }),
      },
    },
    async (req, reply) => {
      const { app, env, service } = req.params;
      const release = await ctx.engine.promote({ app, env, service, full: req.body.full, author: authorOf(req) });
      return reply.status(202).send(release);
    },
  );

  api.post(
    '/api/v1/apps/:app/envs/:env/services/:service/abort',
    {
      schema: {
        summary: "Abort a service's progressive rollout: traffic back to stable, the release fails and rolls back",
        tags: ['operate'],
        params: ServiceParams,
        body: z.object({}).default({}),
      },
    },
    async (req, reply) => {
      const { app, env, service } = req.params;
      return reply.status(202).send(await ctx.engine.abort({ app, env, service, author: authorOf(req) }));
    },
  );
}
