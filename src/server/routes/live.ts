/**
 * Live status of an app in an environment as server-sent events: the runtime is observed every
 * second on the server and a `status` event is sent only when something changed, so the console's
 * health, replica counts and addresses update by themselves during a deploy.
 */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { AppEnvParams, sse, type Api } from './api.js';
import { toBerthError } from '../../errors.js';
import { requireApp } from '../appLookup.js';

/** Observe the runtime this often; a browser sees a change at most this much later. */
const POLL_MS = 1000;
/** Comment line sent when nothing changed for this long, so proxies keep the stream open. */
const HEARTBEAT_MS = 15_000;

export function liveRoutes(api: Api, ctx: ServerContext, opts: { pollMs?: number } = {}): void {
  const pollMs = opts.pollMs ?? POLL_MS;
  api.get(
    '/api/v1/apps/:app/envs/:env/status/stream',
    {
      schema: {
        summary: 'The app’s status (as /status) as server-sent `status` events, sent whenever it changes',
        tags: ['apps'],
        params: AppEnvParams,
        querystring: z.object({
          once: z.enum(['true', 'false']).default('false').describe('Send the current status and end'),
        }),
      },
    },
    async (req, reply) => {
      const { app, env } = req.params;
      await ctx.environments.get(env);
      await requireApp(ctx, app, env);
      const runtime = await ctx.runtimeFor(env);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      let closed = false;
      let wake: (() => void) | undefined;
      raw.on('close', () => {
        closed = true;
        wake?.();
      });
      let last = '';
      let lastSentAt = Date.now();
      let id = 0;
      while (!closed) {
        try {
          const [observed, current, [lastRelease]] = await Promise.all([
            runtime.observe(app, env),
            ctx.releases.current(app, env),
            ctx.releases.list(app, env, 1),
          ]);
          const status = {
            app,
            env,
            currentRevision: current?.revision ?? null,
            lastRelease: lastRelease ?? null,
            ...observed,
          };
          const text = JSON.stringify(status);
          if (text !== last && !closed) {
            sse(raw, 'status', status, ++id);
            last = text;
            lastSentAt = Date.now();
          }
        } catch (err) {
          if (!closed) sse(raw, 'error', toBerthError(err).toJSON());
        }
        if (req.query.once === 'true') break;
        if (Date.now() - lastSentAt >= HEARTBEAT_MS && !closed) {
          raw.write(': keep-alive\n\n');
          lastSentAt = Date.now();
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, pollMs);
        });
        wake = undefined;
      }
      raw.end();
    },
  );
}
