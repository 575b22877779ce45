/**
 * A plan's answer with what it starts from: the newest revision when none succeeded (a first
 * deploy that failed leaves replicas running), the replicas that run, and the config drift.
 */
import type { PlanResult } from '../release/engine/engine.js';
import { configDrift } from '../release/configDrift.js';
import type { PlanResponse } from './apiTypes.js';
import type { ServerContext } from './context.js';

export async function planResponse(
  ctx: ServerContext,
  app: string,
  env: string,
  result: PlanResult,
): Promise<PlanResponse> {
  const [last] = await ctx.releases.list(app, env, 1);
  const runtime = await ctx.runtimeFor(env);
  const observed = await runtime.observe(app, env).catch(() => undefined);
  const runningReplicas = (observed?.services ?? []).reduce((n, s) => n + s.replicas.length, 0);
  const drift = await configDrift(ctx, app, env);
  return {
    ...result,
    ...(last && last.revision !== result.current?.revision ? { lastRelease: last } : {}),
    runningReplicas,
    ...(drift ? { configDrift: drift } : {}),
  };
}
