/**
 * Operating a running app: scale a service, rolling-restart a service or the whole app, cancel the
 * release in progress.
 */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';
import { authorOf } from '../identity.js';
import { Wait, waitOptions } from './operationWait.js';
import { isFinished } from '../../release/engine/releaseBus.js';
import type { Release } from '../../release/releases.js';

const ServiceParams = AppEnvParams.extend({ service: z.string().min(1).describe('Service name') });

/** A scale's answer status: 200 with the running release when the count is already that (no revision); 202 for a new one. */
export function scaleStatus(release: Release): 200 | 202 {
  return isFinished(release) ? 200 : 202;
}

export function operateRoutes(api: Api, ctx: ServerContext): void {
  api.post(
    '/api/v1/apps/:app/envs/:env/services/:service/scale',
    {
      schema: {
        summary:
          'Scale one service: a new revision with its replica count changed (202); the running release when the count is already that (200); 409 for an autoscaled service',
        tags: ['operate'],
        params: ServiceParams,
        body: z.object({
          replicas: z.number().int().min(0).max(1000).describe('Desired replicas'),
          wait: Wait,
        }),
      },
    },
    async (req, reply) => {
      const { app, env, service } = req.params;
      const release = await ctx.engine.scale({
        app,
        env,
        service,
        replicas: req.body.replicas,
        author: authorOf(req),
        ...waitOptions(req.body.wait, reply),
      });
      return reply.status(scaleStatus(release)).send(release);
    },
  );

  api.post(
    '/api/v1/apps/:app/envs/:env/services/:service/restart',
    {
      schema: {
        summary: 'Rolling restart of one service',
        tags: ['operate'],
        params: ServiceParams,
        body: z.object({ wait: Wait }).default({ wait: false }),
      },
    },
    async (req, reply) => {
      const { app, env, service } = req.params;
      return reply.status(202).send(
        await ctx.engine.restart({
          app,
          env,
          service,
          author: authorOf(req),
          ...waitOptions(req.body.wait, reply),
        }),
      );
    },
  );

  api.post(
    '/api/v1/apps/:app/envs/:env/restart',
    {
      schema: {
        summary: 'Rolling restart of every service of the app',
        tags: ['operate'],
        params: AppEnvParams,
        body: z.object({ wait: Wait }).default({ wait: false }),
      },
    },
    async (req, reply) =>
      reply.status(202).send(
        await ctx.engine.restart({
          app: req.params.app,
          env: req.params.env,
          author: authorOf(req),
          ...waitOptions(req.body.wait, reply),
        }),
      ),
  );

  api.post(
    '/api/v1/apps/:app/envs/:env/cancel',
    {
      schema: {
        summary:
          'Cancel the release in progress: it fails as cancelled and rolls back per its rollback policy (409 when none runs)',
        tags: ['operate'],
        params: AppEnvParams,
        body: z
          .object({
            revision: z
              .number()
              .int()
              .positive()
              .optional()
              .describe('Cancel only if this revision is the one in progress'),
          })
          .default({}),
      },
    },
    async (req, reply) => {
      const { app, env } = req.params;
      const { revision } = req.body;
      const author = authorOf(req);
      return reply
        .status(202)
        .send(await ctx.engine.cancel({ app, env, author, ...(revision === undefined ? {} : { revision }) }));
    },
  );
}
