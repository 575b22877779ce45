/**
 * Traces the gateway recorded (issue 16, point 2): `GET /api/v1/traces/:traceId`, one trace's spans;
 * `GET /api/v1/apps/:app/envs/:env/traces`, the recent traces of an app, filtered.
 */
import { z } from 'zod';
import { NotFoundError, UnavailableError, ValidationError } from '../../errors.js';
import type { TraceList, TraceListQuery, TraceView } from '../../model/trace.js';
import { requireApp, requireService } from '../appLookup.js';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';
import { timeOf } from './timeRange.js';
import { principalOf } from '../identity.js';
import { allows } from '../../model/access.js';

const TraceParams = z.object({
  traceId: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, 'a trace id is 32 hex digits (as in traceparent and X-Berth-Trace-Id)')
    .describe('Trace id: 32 hex digits'),
});

/** The list's default time range: the last hour. */
export const DEFAULT_TRACE_LIST_SINCE = '1h';

export const TraceListParams = z.object({
  service: z.string().min(1).max(128).optional().describe('Only traces that reached this service of the app'),
  errors: z
    .enum(['true', 'false'])
    .optional()
    .describe('true: only traces with a failed span (a 5xx, a gateway failure, a response cut short)'),
  minMs: z.coerce.number().min(0).optional().describe('Only traces that took at least this many milliseconds'),
  since: z
    .string()
    .optional()
    .describe(`From this time: ISO 8601, or a duration ago (90s, 15m, 1h, 2d); default ${DEFAULT_TRACE_LIST_SINCE}`),
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('At most this many traces, the newest'),
});

/** The store's query of a list request; a time it cannot read names `since`. */
export function traceListOf(
  app: string,
  env: string,
  q: z.infer<typeof TraceListParams>,
  nowMs: number,
): TraceListQuery {
  const since = q.since ?? DEFAULT_TRACE_LIST_SINCE;
  const sinceMs = timeOf(since, nowMs);
  if (sinceMs === undefined)
    throw new ValidationError('invalid trace list', [
      {
        file: 'request query',
        path: 'since',
        message: `"${since}" is not a time (ISO 8601) or a duration ago (15m, 1h, 2d)`,
      },
    ]);
  return {
    app,
    env,
    ...(q.service !== undefined ? { service: q.service } : {}),
    ...(q.errors === 'true' ? { errors: true } : {}),
    ...(q.minMs !== undefined ? { minMs: q.minMs } : {}),
    sinceMs,
    limit: q.limit,
  };
}

export function traceRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/traces/:traceId',
    {
      schema: {
        summary:
          "A trace's spans recorded by the gateway, one per hop (edge or service address), ordered by start: ids and parent, caller and callee service, route, track, method, status, start and duration",
        tags: ['traces'],
        params: TraceParams,
      },
    },
    async (req): Promise<TraceView> => {
      const traceId = req.params.traceId.toLowerCase();
      // A trace crosses apps: the caller sees the hops of the apps it may read (none: as if unknown).
      const grants = await ctx.access.authorizer.grants(principalOf(req));
      await ctx.freshTraces?.();
      const spans = (ctx.traces?.trace(traceId) ?? []).filter((s) => {
        const [app, env] = (s.service ?? s.edge ?? '').split('/');
        return app !== undefined && env !== undefined && allows(grants, 'apps:read', { app, env });
      });
      if (spans.length === 0)
        throw new NotFoundError(`no spans of trace ${traceId} are stored (kept for a day; tracing may be off)`, {
          details: { traceId },
        });
      return { traceId, spans };
    },
  );

  api.get(
    '/api/v1/apps/:app/envs/:env/traces',
    {
      schema: {
        summary:
          'The recent traces of an app, newest first: each one’s first span, the services it reached, its duration and whether a span failed; filtered by service, failure, duration and time',
        tags: ['traces'],
        params: AppEnvParams,
        querystring: TraceListParams,
      },
    },
    async (req): Promise<TraceList> => {
      const { app, env } = req.params;
      const query = traceListOf(app, env, req.query, Date.now());
      await ctx.environments.get(env);
      if (req.query.service !== undefined) await requireService(ctx, app, env, req.query.service);
      else await requireApp(ctx, app, env);
      if (!ctx.traces) throw new UnavailableError('this control plane keeps no traces');
      await ctx.freshTraces?.();
      return ctx.traces.list(query);
    },
  );
}
