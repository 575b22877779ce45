/** What the autoscaler of one machine decided per track of an app: replicas, metrics against their targets, why, the last scales. */
import type { AutoscaleStatus } from '../apiTypes.js';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';
import { requireApp } from '../appLookup.js';

/** The autoscaler as the daemon hands it to the routes (absent: nothing is autoscaled here). */
export function autoscaleRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/apps/:app/envs/:env/autoscale',
    {
      schema: {
        summary:
          'Autoscaling on one machine, per track of each autoscaled service: current and desired replicas, metrics and targets, the reason, the last scales',
        tags: ['apps'],
        params: AppEnvParams,
      },
    },
    async (req): Promise<AutoscaleStatus> => {
      const { app, env } = req.params;
      await ctx.environments.get(env);
      await requireApp(ctx, app, env);
      return { app, env, tracks: ctx.autoscaler?.status(app, env) ?? [] };
    },
  );
}
