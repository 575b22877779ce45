/**
 * `GET /api/v1/apps/:app/envs/:env/callgraph?window=15m`: the call graph from real traffic (issue 16,
 * point 3) — each caller → callee the gateway saw in the window with rate, error rate, p50 and p99 —
 * beside the `dependsOn` graph of the app's running revision, the differences marked.
 */
import { z } from 'zod';
import { UnavailableError, ValidationError } from '../../errors.js';
import type { CallGraph } from '../../model/callGraph.js';
import { formatDuration } from '../../model/durations.js';
import { parseDurationMs } from '../../spec/units.js';
import { readObservedCalls } from '../../traces/callGraph.js';
import { compareWithDeclared, type DeclaredGraph } from '../../traces/callGraphDiff.js';
import { DEFAULT_TRACE_RETENTION_MS } from '../../traces/traceStore.js';
import { requireApp } from '../appLookup.js';
import type { ServerContext } from '../context.js';
import { AppEnvParams, type Api } from './api.js';

/** The shortest window: a shorter one holds too few hops to say anything. */
export const MIN_WINDOW_MS = 10_000;

export const CallGraphParams = z.object({
  window: z
    .string()
    .max(32)
    .default('15m')
    .describe('How far back from now: a duration (30s, 15m, 1h, 2d), at least 10s and at most the traces’ retention'),
});

/** A window as the query or `--window` gives it, in ms; a bad or out-of-range one names `field`. */
export function windowMsOf(text: string, maxMs: number, field = 'window', file = 'request query'): number {
  const t = text.trim();
  const days = /^(\d+)d$/.exec(t);
  const ms = days ? Number(days[1]) * 86_400_000 : parseDurationMs(t);
  let message: string | undefined;
  if (ms === undefined || !/[a-z]$/.test(t)) message = `"${text}" is not a duration (30s, 15m, 1h, 2d)`;
  else if (ms < MIN_WINDOW_MS) message = `${text} is shorter than ${formatDuration(MIN_WINDOW_MS)}`;
  else if (ms > maxMs)
    message = `${text} is longer than the traces are kept (${formatDuration(maxMs)}): older spans are gone`;
  if (message !== undefined) throw new ValidationError('invalid call graph window', [{ file, path: field, message }]);
  return ms!;
}

export function callGraphRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/apps/:app/envs/:env/callgraph',
    {
      schema: {
        summary:
          "The call graph from the gateway's spans over a window: each caller → callee with requests, rate, error rate, p50 and p99, beside the declared dependsOn graph, undeclared calls and unused dependencies marked",
        tags: ['traces'],
        params: AppEnvParams,
        querystring: CallGraphParams,
      },
    },
    async (req): Promise<CallGraph> => {
      const { app, env } = req.params;
      const traces = ctx.traces;
      const windowMs = windowMsOf(req.query.window, traces?.retentionMs ?? DEFAULT_TRACE_RETENTION_MS);
      await ctx.environments.get(env);
      const last = await requireApp(ctx, app, env);
      if (!traces) throw new UnavailableError('this control plane keeps no traces');
      const release = (await ctx.releases.current(app, env)) ?? last;
      const { spec } = await ctx.releases.content(release.id);
      const declared: DeclaredGraph = {
        services: Object.keys(spec.services),
        dependsOn: new Map(Object.entries(spec.services).map(([name, s]) => [name, s.dependsOn])),
      };
      await ctx.freshTraces?.();
      const untilMs = Date.now();
      const sinceMs = untilMs - windowMs;
      const observed = readObservedCalls(traces.file, { app, env, sinceMs, untilMs });
      return {
        app,
        env,
        window: req.query.window.trim(),
        windowMs,
        since: new Date(sinceMs).toISOString(),
        until: new Date(untilMs).toISOString(),
        revision: release.revision,
        ...compareWithDeclared(observed, declared),
      };
    },
  );
}
