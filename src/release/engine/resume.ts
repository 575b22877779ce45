/**
 * Start-up of the release engine: every unfinished release is resumed where it stands, with what it
 * was started with (its timeout counted from its first start, its rollback policy, a cancel
 * accepted before the restart); a release that failed but whose automatic rollback was never
 * made (the control plane died between the two) gets it now; and every other (app, env) gets its
 * current revision converged again (a resync) so the runtime re-attaches to what runs.
 */
import { message } from '../../model/messages.js';
import type { Release } from '../releases.js';
import { ReleaseStatus } from '../../model/releaseStatus.js';
import { runOperation, type ExecuteContext } from './execute.js';
import type { OperationLock } from './operationLock.js';
import { autoRollback, rollsBack } from './rollback.js';

export interface ResumeContext extends ExecuteContext {
  lock: OperationLock;
  /** The resync of each (app, env), aborted by the first operation that starts there. */
  resyncs: Map<string, AbortController>;
}

const key = (app: string, env: string): string => `${app}/${env}`;

export async function resumeAll(ctx: ResumeContext): Promise<void> {
  const { releases, logger } = ctx.deps;
  const resuming = new Set<string>();
  for (const r of await releases.unfinished()) {
    const k = key(r.app, r.env);
    if (resuming.has(k)) {
      // Only the newest unfinished release of an (app, env) can be the live one; older ones were abandoned.
      await ctx.bus.setStatus(r.id, ReleaseStatus.failed, message('release.supersededWhileDown'));
      continue;
    }
    let op;
    try {
      op = await ctx.lock.acquire(r.app, r.env);
    } catch (err) {
      logger.warn({ err, release: r.id }, 'cannot resume release');
      continue;
    }
    resuming.add(k);
    logger.info(
      { app: r.app, env: r.env, revision: r.revision, timeoutMs: r.options.timeoutMs, cancel: r.cancelRequest },
      'resuming release',
    );
    op.release = r;
    ctx.lock.hold(op, () => runOperation(ctx, op, r));
  }
  for (const { app, env } of await releases.apps()) {
    const k = key(app, env);
    if (resuming.has(k)) continue;
    const [last] = await releases.list(app, env, 1);
    // Its rollback is made right after it fails: a failed latest revision that rolls back has not got it yet.
    if (!last || last.status !== ReleaseStatus.failed || !rollsBack(last)) continue;
    if (!(await releases.lastGood(app, env, last.revision))) continue;
    let op;
    try {
      op = await ctx.lock.acquire(app, env);
    } catch (err) {
      logger.warn({ err, release: last.id }, 'cannot roll back release');
      continue;
    }
    resuming.add(k);
    logger.info({ app, env, revision: last.revision }, 'rolling back a release that failed before a restart');
    const held = op;
    ctx.lock.hold(held, async () => {
      const rb = await autoRollback(ctx, last, reasonOf(last));
      if (rb) await runOperation(ctx, held, rb);
    });
  }
  for (const cur of await releases.active()) {
    const k = key(cur.app, cur.env);
    if (resuming.has(k)) continue;
    const ac = new AbortController();
    ctx.resyncs.set(k, ac);
    void (async () => {
      try {
        const {
          content,
          result: { states, edge },
        } = await ctx.renderer.renderStored(cur);
        const runtime = await ctx.deps.runtimeFor(cur.env);
        const signal = AbortSignal.any([ac.signal, ctx.closing]);
        await runtime.applyRoutes(
          { app: cur.app, env: cur.env, routes: content.rendered.routes, edge },
          { signal, onEvent: () => undefined },
        );
        const kept = await ctx.renderer.keepAutoscaled(content.spec, cur.env, states, runtime);
        await Promise.all(Object.values(kept).map((s) => runtime.converge(s, { signal, onEvent: () => undefined })));
      } catch (err) {
        if (!ac.signal.aborted && !ctx.closing.aborted)
          logger.warn({ err, app: cur.app, env: cur.env }, 'resync after start-up failed');
      } finally {
        if (ctx.resyncs.get(k) === ac) ctx.resyncs.delete(k);
      }
    })();
  }
}

/** Why `r` failed, as it was recorded. */
function reasonOf(r: Release) {
  return r.reasonMessage ?? message('release.failed', { error: r.reason ?? 'unknown' });
}
