/**
 * Running one release to its end: level by level (a level starts when the previous one is ready),
 * each service converged by the runtime or rolled out progressively, then the routes, then the
 * services no longer in the app pruned. A release ends succeeded or failed, never silently: it
 * fails when a service fails, when its timeout (stored with it, counted from its start, resumes
 * included) passes, or when an operator cancels it; a failure then rolls back per its policy.
 */
import { hasOwnKey } from '../../own.js';
import { message as coded, said } from '../../model/messages.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { Release } from '../releases.js';
import { ReleaseKind, ReleaseStatus } from '../../model/releaseStatus.js';
import type { ExecuteContext } from './context.js';
import { deadlineOf, durationText } from './deadline.js';
import { cancelledError, failureReason } from './failure.js';
import { runLevel } from './levels.js';
import type { Operation } from './operationLock.js';
import { autoRollback } from './rollback.js';
import { recordRuntimeEvent } from './runtimeEvents.js';

export type { ExecuteContext } from './context.js';
export { cancelledError } from './failure.js';

/** Runs `first`, then the automatic rollback its failure starts, each to its end, under `op`. */
export async function runOperation(ctx: ExecuteContext, op: Operation, first: Release): Promise<void> {
  let next: Release | undefined = first;
  while (next) next = await execute(ctx, op, next);
}

/** Executes one release; returns the auto-rollback release to run next, if one was created. */
async function execute(ctx: ExecuteContext, op: Operation, given: Release): Promise<Release | undefined> {
  const { releases, logger } = ctx.deps;
  const { bus } = ctx;
  const id = given.id;
  // Registered before the release is read again: a cancel is either in the row read below or
  // aborts this controller (engine.cancel stores the request first, then aborts).
  const cancel = new AbortController();
  op.release = given;
  op.cancel = cancel;
  const release =
    given.status === ReleaseStatus.pending ? await bus.setStatus(id, ReleaseStatus.running) : await releases.get(id);
  op.release = release;
  if (release.cancelRequest && !cancel.signal.aborted) cancel.abort(cancelledError(release.cancelRequest));
  const deadline = deadlineOf(release, ctx.clock);
  const signal = AbortSignal.any([ctx.closing, cancel.signal, ...(deadline ? [deadline.signal] : [])]);
  const onEvent = (e: RuntimeEvent): void => void recordRuntimeEvent(ctx, id, e);
  try {
    await bus.record(id, {
      service: null,
      type: 'Normal',
      reason: given.status === ReleaseStatus.running ? 'Resumed' : 'Started',
      ...said(
        coded('event.started', {
          kind: coded(`kind.${release.kind}`),
          app: release.app,
          revision: release.revision,
          env: release.env,
          timeout:
            release.options.timeoutMs === undefined
              ? ''
              : coded('event.timeout', { duration: durationText(release.options.timeoutMs) }),
        }),
      ),
    });
    const runtime = await ctx.deps.runtimeFor(release.env);
    if (signal.aborted) throw signal.reason;
    if (release.kind === ReleaseKind.down) {
      await runtime.remove(release.app, release.env);
    } else {
      const { content, result: rendered0 } = await ctx.renderer.renderStored(release);
      const { rendered } = rendered0;
      const states = await ctx.renderer.keepAutoscaled(content.spec, release.env, rendered0.states, runtime);
      const stable = await ctx.renderer.keepAutoscaled(
        content.spec,
        release.env,
        await ctx.renderer.stableStates(release),
        runtime,
      );
      for (const [level, names] of rendered.levels.entries()) {
        await bus.record(id, {
          service: null,
          type: 'Normal',
          reason: 'Level',
          ...said(coded('event.level', { level, services: names.join(', ') })),
        });
        await runLevel(
          ctx,
          id,
          runtime,
          names.map((n) => ({
            state: states[n]!,
            ...(stable[n] && stable[n].hash !== states[n]!.hash && rendered.services[n]!.strategy
              ? { stable: stable[n], strategy: rendered.services[n]!.strategy }
              : {}),
          })),
          release.steps,
          signal,
        );
      }
      if (signal.aborted) throw signal.reason;
      await runtime.applyRoutes(
        { app: release.app, env: release.env, routes: rendered.routes, edge: rendered0.edge },
        { signal, onEvent },
      );
      const observed = await runtime.observe(release.app, release.env);
      for (const s of observed.services) {
        if (!hasOwnKey(rendered.services, s.service)) {
          await bus.record(id, {
            service: s.service,
            type: 'Normal',
            reason: 'Pruned',
            ...said(coded('event.pruned', { service: s.service })),
          });
          await runtime.remove(release.app, release.env, s.service);
        }
      }
    }
    await bus.finish(id, ReleaseStatus.succeeded, undefined, {
      service: null,
      type: 'Normal',
      reason: 'Succeeded',
      ...said(coded('event.live', { revision: release.revision })),
    });
    return undefined;
  } catch (err) {
    if (ctx.closing.aborted) throw err; // shutting down: the release stays running and is resumed on start
    const why = await failureReason(ctx.deps.releases, id, err, [cancel.signal, deadline?.signal]);
    const reason = why.text;
    await bus.finish(id, ReleaseStatus.failed, why, { service: null, type: 'Warning', reason: 'Failed', ...said(why) });
    logger.info({ app: release.app, env: release.env, revision: release.revision, reason }, 'release failed');
    return autoRollback(ctx, release, why);
  } finally {
    deadline?.clear();
    if (op.cancel === cancel) op.cancel = undefined;
  }
}
