/** Environments: list, create and delete. */
import { z } from 'zod';
import { visibleTo } from '../visibility.js';
import type { ServerContext } from '../context.js';
import { EnvironmentEdgeChange, EnvironmentInput } from '../../environment/environments.js';
import type { Api } from './api.js';
import { environmentCopyRoutes } from './environmentCopy.js';

export function environmentRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/environments',
    { schema: { summary: 'Every environment the caller may see', tags: ['environments'] } },
    async (req) => {
      const [envs, visible] = await Promise.all([ctx.environments.list(), visibleTo(req, ctx, 'environments:read')]);
      return envs.filter((e) => visible({ env: e.name }));
    },
  );
  api.get(
    '/api/v1/environments/:name',
    {
      schema: {
        summary: 'One environment: its target (edge ports, time zone, containers mode) and variable defaults',
        tags: ['environments'],
        params: z.object({ name: z.string().describe('Environment name') }),
      },
    },
    async (req) => ctx.environments.get(req.params.name),
  );
  api.post(
    '/api/v1/environments',
    { schema: { summary: 'Create an environment', tags: ['environments'], body: EnvironmentInput } },
    async (req, reply) => reply.status(201).send(await ctx.environments.create(req.body)),
  );
  api.delete(
    '/api/v1/environments/:name',
    {
      schema: {
        summary:
          'Delete an environment: refused (409) while an app runs there or a release is under way; its release history and config versions are kept',
        tags: ['environments'],
        params: z.object({ name: z.string().describe('Environment name') }),
      },
    },
    async (req, reply) => {
      const { name } = req.params;
      await ctx.environments.delete(name);
      return reply.status(204).send();
    },
  );
  api.patch(
    '/api/v1/environments/:name',
    {
      schema: {
        summary:
          "Change an environment's edge ports, cron time zone or containers mode (each taken by the next deploy of each app), or a Kubernetes environment's Prometheus for canary analysis",
        tags: ['environments'],
        params: z.object({ name: z.string() }),
        body: EnvironmentEdgeChange,
      },
    },
    async (req) => ctx.environments.setEdge(req.params.name, req.body),
  );
  environmentCopyRoutes(api, ctx);
}
