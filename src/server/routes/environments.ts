/** Environments: list and create. */
import type { ServerContext } from '../context.js';
import { z } from 'zod';
import { EnvironmentEdgeChange, EnvironmentInput } from '../../environment/environments.js';
import type { Api } from './api.js';

export function environmentRoutes(api: Api, ctx: ServerContext): void {
  api.get('/api/v1/environments', { schema: { summary: 'Every environment', tags: ['environments'] } }, async () =>
    ctx.environments.list(),
  );
  api.post(
    '/api/v1/environments',
    { schema: { summary: 'Create an environment', tags: ['environments'], body: EnvironmentInput } },
    async (req, reply) => reply.status(201).send(await ctx.environments.create(req.body)),
  );
  api.patch(
    '/api/v1/environments/:name',
    {
      schema: {
        summary: "Change an environment's edge ports (taken by the next deploy of each app)",
        tags: ['environments'],
        params: z.object({ name: z.string() }),
        body: EnvironmentEdgeChange,
      },
    },
    async (req) => ctx.environments.setEdge(req.params.name, req.body),
  );
}
