/**
 * Traffic policy, live: read the policies in force, and change a service's or a route's without a
 * deploy. Each change is a new revision of kind `policy` (no replica moves) that rolls back like
 * any other.
 */
import { z } from 'zod';
import type { Policies } from '../apiTypes.js';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';
import { authorOf } from '../identity.js';
import { policySchema } from '../../spec/policy.js';
import type { AppSpec } from '../../spec/schema.js';
import { NotFoundError } from '../../errors.js';
import { Wait, waitOptions } from './operationWait.js';

const ServiceParams = AppEnvParams.extend({ service: z.string().min(1).describe('Service name') });
const PolicyInput = policySchema.nullable().describe('The policy in berth.yaml form; null removes it');

/** The policies in force of a revision's spec: every service's and every route's, null where none is set. */
export function policiesOf(
  app: string,
  env: string,
  revision: number,
  spec: Pick<AppSpec, 'services' | 'routes'>,
): Policies {
  return {
    app,
    env,
    revision,
    services: Object.fromEntries(Object.entries(spec.services).map(([n, s]) => [n, s.policy ?? null])),
    routes: spec.routes.map((r) => ({
      path: r.path,
      ...(r.host === undefined ? {} : { host: r.host }),
      service: r.service,
      policy: r.policy ?? null,
    })),
  };
}

/** The route a policy change names: by its path, and its host when it has one. */
export function routeTarget(path: string, host: string | undefined): { route: { path: string; host?: string } } {
  return { route: { path, ...(host === undefined ? {} : { host }) } };
}

export function policyRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/apps/:app/envs/:env/policy',
    {
      schema: {
        summary: 'The traffic policies in force: per service and per route, as of the current revision',
        tags: ['policy'],
        params: AppEnvParams,
      },
    },
    async (req): Promise<Policies> => {
      const { app, env } = req.params;
      const current = await ctx.releases.current(app, env);
      if (!current || current.kind === 'down') throw new NotFoundError(`${app} is not running in ${env}`);
      const { spec } = await ctx.releases.content(current.id);
      return policiesOf(app, env, current.revision, spec);
    },
  );

  api.put(
    '/api/v1/apps/:app/envs/:env/services/:service/policy',
    {
      schema: {
        summary: "Change a service's traffic policy live: a new revision, no replica moves",
        tags: ['policy'],
        params: ServiceParams,
        body: z.object({ policy: PolicyInput, wait: Wait }),
      },
    },
    async (req, reply) => {
      const { app, env, service } = req.params;
      const release = await ctx.engine.setPolicy({
        app,
        env,
        target: { service },
        policy: req.body.policy,
        author: authorOf(req),
        ...waitOptions(req.body.wait, reply),
      });
      return reply.status(202).send(release);
    },
  );

  api.put(
    '/api/v1/apps/:app/envs/:env/routes/policy',
    {
      schema: {
        summary: "Change a route's traffic policy live (the route named by its path and host)",
        tags: ['policy'],
        params: AppEnvParams,
        body: z.object({
          path: z.string().regex(/^\//, 'must start with `/`').describe('The route’s path prefix'),
          host: z.string().optional().describe('The route’s host, when it has one'),
          policy: PolicyInput,
          wait: Wait,
        }),
      },
    },
    async (req, reply) => {
      const { app, env } = req.params;
      const { path, host, policy, wait } = req.body;
      const release = await ctx.engine.setPolicy({
        app,
        env,
        target: routeTarget(path, host),
        policy,
        author: authorOf(req),
        ...waitOptions(wait, reply),
      });
      return reply.status(202).send(release);
    },
  );
}
