/**
 * The metric history of an app (issue 16, point 4): `GET …/metrics/history` answers one metric over a
 * time range, a series per service (or per track or route when asked), at the resolution the range
 * calls for; `GET …/metrics/markers` the releases of that range (deploys, rollbacks, aborts), which
 * the history includes too, for the time axis of a chart.
 */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';
import { requireApp, requireService } from '../appLookup.js';
import { UnavailableError, ValidationError } from '../../errors.js';
import {
  METRIC_NAMES,
  type MetricHistory,
  type ReleaseMarker,
  type ReleaseMarkers,
} from '../../model/metricHistory.js';
import { parseDurationMs } from '../../spec/units.js';
import { readHistory } from '../../metrics/history.js';
import { timeOf } from './timeRange.js';
import type { Releases } from '../../release/releases.js';

const RangeParams = z.object({
  from: z.string().optional().describe('From this time: ISO 8601, or a duration ago (15m, 1h, 7d); default 1h ago'),
  to: z.string().optional().describe('Up to this time: ISO 8601, or a duration ago; default now'),
});

export const MetricHistoryParams = RangeParams.extend({
  metric: z.enum(METRIC_NAMES).describe('What to read'),
  service: z.string().optional().describe('One service (default: a series per service)'),
  track: z.string().optional().describe('One track (stable, canary) instead of all tracks summed'),
  route: z.string().optional().describe('One edge route (host and path prefix, e.g. /api) instead of every request'),
  step: z.string().optional().describe('Width of a point (10s, 1m, 1h); widened to keep at most 360 points'),
});

/** The range of a request; a time it cannot read, or one that ends before it starts, names its field. */
export function rangeOf(q: z.infer<typeof RangeParams>, nowMs: number): { from: number; to: number } {
  const problems: { file: string; path: string; message: string }[] = [];
  const time = (field: 'from' | 'to', fallback: number): number => {
    const v = q[field];
    if (v === undefined) return fallback;
    const ms = timeOf(v, nowMs);
    if (ms === undefined)
      problems.push({
        file: 'request query',
        path: field,
        message: `"${v}" is not a time (ISO 8601) or a duration ago (15m, 1h, 7d)`,
      });
    return ms ?? fallback;
  };
  const from = time('from', nowMs - 3_600_000);
  const to = time('to', nowMs);
  if (problems.length === 0 && to <= from)
    problems.push({
      file: 'request query',
      path: 'to',
      message: `${q.to ?? 'now'} is not after from (${q.from ?? '1h ago'})`,
    });
  if (problems.length > 0) throw new ValidationError('invalid metric range', problems);
  return { from, to };
}

/** The step asked for, in ms; a ValidationError naming `step` when it is not a duration. */
function stepOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < 1000)
    throw new ValidationError('invalid metric step', [
      { file: 'request query', path: 'step', message: `"${text}" is not a duration of at least 1s (10s, 1m, 1h)` },
    ]);
  return ms;
}

/** The deploys, rollbacks and aborts of an app that started within [from, to], oldest first. */
export async function releaseMarkers(
  releases: Pick<Releases, 'list'>,
  app: string,
  env: string,
  from: number,
  to: number,
): Promise<ReleaseMarker[]> {
  const out: ReleaseMarker[] = [];
  for (const r of await releases.list(app, env, 1000)) {
    const at = r.startedAt ?? r.createdAt;
    const t = Date.parse(at);
    if (t < from || t > to) continue;
    const kind =
      r.kind === 'rollback' || r.kind === 'auto-rollback'
        ? 'rollback'
        : r.kind === 'deploy'
          ? r.status === 'failed'
            ? 'abort'
            : 'deploy'
          : undefined;
    if (kind === undefined) continue;
    const message = r.status === 'failed' ? (r.reason ?? r.message) : r.message;
    out.push({
      t,
      at,
      revision: r.revision,
      kind,
      releaseKind: r.kind,
      status: r.status,
      ...(message ? { message } : {}),
    });
  }
  return out.reverse();
}

export function metricsHistoryRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/apps/:app/envs/:env/metrics/history',
    {
      schema: {
        summary:
          'One metric of an app over a time range (requests, rps, errors, errorRate, p50, p99, cpu, memory, restarts, ready, desired): a series per service, or per track or route, with the releases of the range as markers',
        tags: ['metrics'],
        params: AppEnvParams,
        querystring: MetricHistoryParams,
      },
    },
    async (req): Promise<MetricHistory> => {
      const { app, env } = req.params;
      const q = req.query;
      const nowMs = Date.now();
      const { from, to } = rangeOf(q, nowMs);
      const stepMs = stepOf(q.step);
      await ctx.environments.get(env);
      if (q.service) await requireService(ctx, app, env, q.service);
      else await requireApp(ctx, app, env);
      const h = ctx.metricHistory;
      if (!h) throw new UnavailableError('this control plane keeps no metric history');
      const answer = await readHistory(
        h.store,
        {
          app,
          env,
          metric: q.metric,
          from,
          to,
          ...(q.service !== undefined ? { service: q.service } : {}),
          ...(q.track !== undefined ? { track: q.track } : {}),
          ...(q.route !== undefined ? { route: q.route } : {}),
          ...(stepMs !== undefined ? { stepMs } : {}),
        },
        { nowMs, rawIntervalMs: h.intervalMs },
      );
      return {
        app,
        env,
        metric: q.metric,
        from,
        to,
        ...answer,
        markers: await releaseMarkers(ctx.releases, app, env, from, to),
      };
    },
  );
  api.get(
    '/api/v1/apps/:app/envs/:env/metrics/markers',
    {
      schema: {
        summary: 'The deploys, rollbacks and aborts of an app within a time range, with revision and status',
        tags: ['metrics'],
        params: AppEnvParams,
        querystring: RangeParams,
      },
    },
    async (req): Promise<ReleaseMarkers> => {
      const { app, env } = req.params;
      const { from, to } = rangeOf(req.query, Date.now());
      await ctx.environments.get(env);
      await requireApp(ctx, app, env);
      return { app, env, from, to, markers: await releaseMarkers(ctx.releases, app, env, from, to) };
    },
  );
}
