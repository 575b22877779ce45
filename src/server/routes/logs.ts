/** Logs of an app's replicas as newline-delimited JSON; with follow, the stream stays open. */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';

export function logRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/apps/:app/envs/:env/logs',
    {
      schema: {
        summary: 'Log lines (NDJSON: time, service, replica, stream, line)',
        tags: ['logs'],
        params: AppEnvParams,
        querystring: z.object({
          service: z.string().optional(),
          replica: z.string().optional(),
          follow: z.enum(['true', 'false']).default('false'),
          tail: z.coerce.number().int().min(0).max(100_000).default(200),
          since: z.iso.datetime().optional(),
        }),
      },
    },
    async (req, reply) => {
      const { app, env } = req.params;
      const q = req.query;
      await ctx.environments.get(env);
      const runtime = await ctx.runtimeFor(env);
      const abort = new AbortController();
      const lines = runtime.logs(
        { app, env, ...(q.service ? { service: q.service } : {}), ...(q.replica ? { replica: q.replica } : {}) },
        {
          follow: q.follow === 'true',
          tail: q.tail,
          signal: abort.signal,
          ...(q.since ? { since: new Date(q.since) } : {}),
        },
      );
      reply.hijack();
      const raw = reply.raw;
      raw.on('close', () => abort.abort());
      raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      try {
        for await (const line of lines) {
          if (!raw.write(`${JSON.stringify(line)}\n`)) await new Promise((r) => raw.once('drain', r));
        }
      } catch (err) {
        if (!abort.signal.aborted) raw.write(`${JSON.stringify({ error: String(err) })}\n`);
      } finally {
        raw.end();
      }
    },
  );
}
