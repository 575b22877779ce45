/** Apps: the overview, the live status of one app in one environment, and taking it down. */
import { z } from 'zod';
import type { AppStatus, AppSummary } from '../apiTypes.js';
import type { ServerContext } from '../context.js';
import { configDrift } from '../../release/configDrift.js';
import { AppEnvParams, type Api } from './api.js';
import { authorOf } from '../identity.js';
import { visibleTo } from '../visibility.js';
import { WaitQuery, waitOptions } from './operationWait.js';
import { requireApp } from '../appLookup.js';
import { withRunAs } from '../../release/runAsStatus.js';
import type { Release } from '../../release/releases.js';
import type { RenderedRelease } from '../../release/rendered.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { AppObservation } from '../../model/observation.js';
import type { ConfigDrift } from '../../release/configDrift.js';

/** One app in one environment at a glance: its last release and the revision that runs (or took it down). */
export function appSummaryOf(
  app: string,
  env: string,
  last: Release | undefined,
  current: Pick<Release, 'revision' | 'kind'> | undefined,
): AppSummary {
  return { app, env, lastRelease: last, currentRevision: current?.revision ?? null, down: current?.kind === 'down' };
}

/** An app's status: what the runtime observes, with the revisions and the config drift. */
export function appStatusOf(s: {
  app: string;
  env: string;
  observed: AppObservation;
  current: Pick<Release, 'revision'> | undefined;
  last: Release | undefined;
  rendered: Pick<RenderedRelease, 'services'> | undefined;
  runtimeKind: Runtime['kind'];
  drift: ConfigDrift | undefined;
}): AppStatus {
  return {
    app: s.app,
    env: s.env,
    currentRevision: s.current?.revision ?? null,
    lastRelease: s.last ?? null,
    ...s.observed,
    // How each service runs (process or container), as the runtime says or the running revision rendered it.
    services: withRunAs(s.observed.services, s.rendered, s.runtimeKind),
    ...(s.drift ? { configDrift: s.drift } : {}),
  };
}

export function appRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/apps',
    { schema: { summary: 'Every app and (existing) environment with its last release', tags: ['apps'] } },
    async (req): Promise<AppSummary[]> => {
      // A deleted environment keeps its release history (for its audit), but no app runs there any more.
      const [pairs, envs, visible] = await Promise.all([
        ctx.releases.apps(),
        ctx.environments.list(),
        visibleTo(req, ctx, 'apps:read'),
      ]);
      const live = new Set(envs.map((e) => e.name));
      return Promise.all(
        pairs
          .filter(({ app, env }) => live.has(env) && visible({ app, env }))
          .map(async ({ app, env }) => {
            const [last] = await ctx.releases.list(app, env, 1);
            return appSummaryOf(app, env, last, await ctx.releases.current(app, env));
          }),
      );
    },
  );

  api.get(
    '/api/v1/apps/:app/envs/:env/status',
    {
      schema: {
        summary: 'Services, replicas ready/desired, restarts, addresses and the edge URL',
        tags: ['apps'],
        params: AppEnvParams,
      },
    },
    async (req): Promise<AppStatus> => {
      const { app, env } = req.params;
      await ctx.environments.get(env);
      await requireApp(ctx, app, env);
      const runtime = await ctx.runtimeFor(env);
      const [observed, current, [last]] = await Promise.all([
        runtime.observe(app, env),
        ctx.releases.current(app, env),
        ctx.releases.list(app, env, 1),
      ]);
      const drift = await configDrift(ctx, app, env);
      const rendered = current ? (await ctx.releases.content(current.id)).rendered : undefined;
      return appStatusOf({ app, env, observed, current, last, rendered, runtimeKind: runtime.kind, drift });
    },
  );

  api.delete(
    '/api/v1/apps/:app/envs/:env',
    {
      schema: {
        summary: 'Take the app down in this environment (graceful stop of every replica)',
        tags: ['apps'],
        params: AppEnvParams,
        querystring: z.object({ wait: WaitQuery }),
      },
    },
    async (req, reply) => {
      const release = await ctx.engine.down({
        app: req.params.app,
        env: req.params.env,
        author: authorOf(req),
        ...waitOptions(req.query.wait, reply),
      });
      return reply.status(202).send(release);
    },
  );
}
