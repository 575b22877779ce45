/**
 * Volumes: what each app keeps on this machine per environment (`berth volume ls`), and deleting
 * that data (`berth volume rm`, `berth down --volumes`), refused while a replica mounting it runs.
 */
import { visibleTo } from '../visibility.js';
import { z } from 'zod';
import { ConflictError } from '../../errors.js';
import type { VolumeStatus } from '../../model/volumes.js';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';
import { dnsLabel } from '../../spec/dnsLabel.js';

const name = dnsLabel();

export function volumeRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/volumes',
    {
      schema: {
        summary:
          'Volumes kept on this machine: app, environment, volume, bytes used, requested size, mounting services, path',
        tags: ['volumes'],
        querystring: z.object({
          app: name.optional().describe('Only this app'),
          env: name.optional().describe('Only this environment (default: every one)'),
        }),
      },
    },
    async (req): Promise<VolumeStatus[]> => {
      const { app, env } = req.query;
      const envs = env !== undefined ? [await ctx.environments.get(env)] : await ctx.environments.list();
      const out: VolumeStatus[] = [];
      for (const e of envs) {
        // Asked for every environment, one whose cluster cannot be reached must not hide this machine's.
        const runtime = await ctx.runtimeFor(e.name).catch((err: unknown) => {
          if (env !== undefined) throw err;
          req.log.warn({ err, env: e.name }, 'volumes of an environment not listed');
          return undefined;
        });
        if (runtime?.volumes) out.push(...(await runtime.volumes(e.name, app)));
      }
      const visible = await visibleTo(req, ctx, 'apps:read');
      return out.filter((v) => visible({ app: v.app, env: v.env }));
    },
  );

  const remove = async (app: string, env: string, volume?: string): Promise<VolumeStatus[]> => {
    await ctx.environments.get(env);
    const runtime = await ctx.runtimeFor(env);
    if (!runtime.removeVolumes)
      throw new ConflictError(`the ${runtime.kind} runtime of ${env} keeps no volumes Berth can delete`);
    return runtime.removeVolumes(app, env, volume);
  };

  api.delete(
    '/api/v1/apps/:app/envs/:env/volumes/:volume',
    {
      schema: {
        summary:
          "Delete a volume's data (a stateful service's per-replica copies too); 409 while a replica mounting it runs",
        tags: ['volumes'],
        params: AppEnvParams.extend({ volume: name.describe('Volume name (berth.yaml `volumes` key)') }),
      },
    },
    async (req): Promise<VolumeStatus[]> => remove(req.params.app, req.params.env, req.params.volume),
  );

  api.delete(
    '/api/v1/apps/:app/envs/:env/volumes',
    {
      schema: {
        summary: 'Delete every volume of the app in the environment (berth down --volumes); 409 while one is mounted',
        tags: ['volumes'],
        params: AppEnvParams,
      },
    },
    async (req): Promise<VolumeStatus[]> => remove(req.params.app, req.params.env),
  );
}
