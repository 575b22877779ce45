/**
 * Search of the log index: `GET /api/v1/apps/:app/envs/:env/logs/search` with free text, service,
 * replica, stream, level (and above), trace id and a time range, answering the newest matching
 * lines (oldest first) and whether the limit left older ones out.
 */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';
import { requireApp, requireService } from '../appLookup.js';
import { UnavailableError, ValidationError } from '../../errors.js';
import { LOG_LEVELS, type LogSearchQuery, type LogSearchResult } from '../../model/logSearch.js';
import { timeRangeOf } from './timeRange.js';

export const LogSearchParams = z.object({
  q: z.string().max(1000).optional().describe('Text the line contains (case-insensitive, as grep -i -F)'),
  service: z.string().optional(),
  replica: z.string().optional(),
  stream: z.enum(['stdout', 'stderr']).optional(),
  level: z.enum(LOG_LEVELS).optional().describe('This level and the more severe ones'),
  trace: z.string().max(128).optional().describe('Trace id (W3C: 32 hex digits)'),
  since: z.string().optional().describe('From this time: ISO 8601, or a duration ago (90s, 15m, 1h, 2d)'),
  until: z.string().optional().describe('Up to this time: ISO 8601, or a duration ago'),
  limit: z.coerce.number().int().min(1).max(10_000).default(500).describe('At most this many lines, the newest'),
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Only lines indexed after the line of this id, first ones first (a follow: the last id seen)'),
});

/** The index's query of a search request; a time it cannot read, or a range that ends before it starts, names its field. */
export function logSearchOf(
  app: string,
  env: string,
  q: z.infer<typeof LogSearchParams>,
  nowMs: number,
): LogSearchQuery {
  const { sinceMs, untilMs, problems } = timeRangeOf(q, nowMs);
  if (problems.length > 0) throw new ValidationError('invalid log search', problems);
  return {
    app,
    env,
    ...(q.q ? { text: q.q } : {}),
    ...(q.service ? { service: q.service } : {}),
    ...(q.replica ? { replica: q.replica } : {}),
    ...(q.stream ? { stream: q.stream } : {}),
    ...(q.level ? { level: q.level } : {}),
    ...(q.trace ? { traceId: q.trace } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    ...(untilMs !== undefined ? { untilMs } : {}),
    ...(q.after !== undefined ? { afterId: q.after } : {}),
    limit: q.limit,
  };
}

export function logSearchRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/apps/:app/envs/:env/logs/search',
    {
      schema: {
        summary: 'Search the indexed log lines of an app: text, service, replica, stream, level, trace id, time range',
        tags: ['logs'],
        params: AppEnvParams,
        querystring: LogSearchParams,
      },
    },
    async (req): Promise<LogSearchResult> => {
      const { app, env } = req.params;
      const q = req.query;
      const query = logSearchOf(app, env, q, Date.now());
      await ctx.environments.get(env);
      if (q.service) await requireService(ctx, app, env, q.service);
      else await requireApp(ctx, app, env);
      if (!ctx.logIndex) throw new UnavailableError('this control plane keeps no log index');
      return ctx.logIndex.search(query);
    },
  );
}
