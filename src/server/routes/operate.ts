/** Operating a running app: scale a service, rolling-restart a service or the whole app. */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';
import { authorOf } from '../identity.js';

const ServiceParams = AppEnvParams.extend({ service: z.string().min(1).describe('Service name') });

export function operateRoutes(api: Api, ctx: ServerContext): void {
  api.post(
    '/api/v1/apps/:app/envs/:env/services/:service/scale',
    {
      schema: {
        summary: 'Scale one service: a new revision with its replica count changed',
        tags: ['operate'],
        params: ServiceParams,
        body: z.object({ replicas: z.number().int().min(0).max(1000).describe('Desired replicas') }),
      },
    },
    async (req, reply) => {
      const { app, env, service } = req.params;
      return reply
        .status(202)
        .send(await ctx.engine.scale({ app, env, service, replicas: req.body.replicas, author: authorOf(req) }));
    },
  );

  api.post(
    '/api/v1/apps/:app/envs/:env/services/:service/restart',
    {
      schema: {
        summary: 'Rolling restart of one service',
        tags: ['operate'],
        params: ServiceParams,
        body: z.object({}).default({}),
      },
    },
    async (req, reply) => {
      const { app, env, service } = req.params;
      return reply.status(202).send(await ctx.engine.restart({ app, env, service, author: authorOf(req) }));
    },
  );

  api.post(
    '/api/v1/apps/:app/envs/:env/restart',
    {
      schema: {
        summary: 'Rolling restart of every service of the app',
        tags: ['operate'],
        params: AppEnvParams,
        body: z.object({}).default({}),
      },
    },
    async (req, reply) =>
      reply
        .status(202)
        .send(await ctx.engine.restart({ app: req.params.app, env: req.params.env, author: authorOf(req) })),
  );
}
