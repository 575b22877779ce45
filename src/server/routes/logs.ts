/** Logs of an app's replicas as newline-delimited JSON; with follow, the stream stays open. */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';
import { requireApp, requireService } from '../appLookup.js';
import { ValidationError } from '../../errors.js';
import type { LogSelector } from '../../model/observation.js';

export const LogQuery = z.object({
  service: z.string().optional(),
  replica: z.string().optional(),
  follow: z.enum(['true', 'false']).default('false'),
  tail: z.coerce.number().int().min(0).max(100_000).default(200),
  since: z.iso.datetime().optional(),
  previous: z
    .enum(['true', 'false'])
    .default('false')
    .describe(
      'The runs that ended last instead of the running ones: the replicas a deploy replaced, or the run before a restart (kubectl logs --previous)',
    ),
});

/** The runtime's log selector and options of a logs query; `previous` with `follow` is refused (those runs write no more). */
export function logRequestOf(
  app: string,
  env: string,
  q: z.infer<typeof LogQuery>,
): { selector: LogSelector; options: { follow: boolean; tail: number; since?: Date } } {
  const previous = q.previous === 'true';
  if (previous && q.follow === 'true')
    throw new ValidationError('invalid query', [
      { file: 'request query', path: 'follow', message: 'the previous runs write no more lines: leave out follow' },
    ]);
  return {
    selector: {
      app,
      env,
      ...(q.service ? { service: q.service } : {}),
      ...(q.replica ? { replica: q.replica } : {}),
      ...(previous ? { previous } : {}),
    },
    options: { follow: q.follow === 'true', tail: q.tail, ...(q.since ? { since: new Date(q.since) } : {}) },
  };
}

export function logRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/apps/:app/envs/:env/logs',
    {
      schema: {
        summary: 'Log lines (NDJSON: time, service, replica, stream, line)',
        tags: ['logs'],
        params: AppEnvParams,
        querystring: LogQuery,
      },
    },
    async (req, reply) => {
      const { app, env } = req.params;
      const q = req.query;
      await ctx.environments.get(env);
      if (q.service) await requireService(ctx, app, env, q.service);
      else await requireApp(ctx, app, env);
      const { selector, options } = logRequestOf(app, env, q);
      const runtime = await ctx.runtimeFor(env);
      const abort = new AbortController();
      const lines = runtime.logs(selector, { ...options, signal: abort.signal });
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
