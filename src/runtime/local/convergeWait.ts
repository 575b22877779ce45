/**
 * The waiting half of a converge: reconcile steps until the service is converged (every track at its
 * desired replicas, all ready and routed), a job succeeded, or it fails — a crash loop, no progress
 * within the rollout's progress deadline, a failed job, an abort, or a newer converge.
 */
import { TimeoutError } from '../../errors.js';
import type { Message } from '../../model/messages.js';
import type { ServiceState } from '../../model/serviceState.js';
import { abortError } from './changeWaiters.js';
import { crashLoopError } from './convergeFailure.js';
import { isJob, jobProgress } from './jobRun.js';
import type { Replica } from './replica.js';

/** What the wait sees of its replica set. */
export interface ConvergeView {
  state: ServiceState;
  signal: AbortSignal;
  now: () => number;
  /** Why the converge cannot go on (the runtime closed, a newer converge began), if so. */
  stale(): Error | undefined;
  reconcile(): void;
  replicas(): Replica[];
  counts(): { done: boolean; newCount: number; newReady: number };
  /** The replicas of the versions converged to, not going away. */
  fresh(): Replica[];
  /** Once converged: makes it reachable (the gateway routes to it), or throws why it cannot be. */
  settle(): Promise<void>;
  /** The no-progress message after `elapsedMs`. */
  failure(elapsedMs: number): Message;
  wait(ms: number): Promise<void>;
}

export async function untilConverged(v: ConvergeView): Promise<void> {
  const { state } = v;
  const startedMs = v.now();
  let lastProgressMs = startedMs;
  let progress = '';
  for (;;) {
    if (v.signal.aborted) throw abortError(v.signal, state.service);
    const stale = v.stale();
    if (stale) throw stale;
    v.reconcile();
    // A cronjob's converge only sets what its runs run; the scheduler starts them.
    if (state.run?.kind === 'cronjob') return;
    if (isJob(state)) {
      // A job is done when its run succeeded; it fails once that run failed for good (no deadline but the release's).
      const job = jobProgress(state, v.replicas());
      if (job.kind === 'failed') throw job.error;
      if (job.kind === 'succeeded') return;
      await v.wait(1000);
      continue;
    }
    const c = v.counts();
    if (c.done) return v.settle();
    // A new version that keeps crashing before it is ever ready will not get better by waiting.
    const loop = crashLoopError(state.service, v.fresh());
    if (loop) throw loop;
    const now = v.now();
    const sig = `${c.newReady}/${c.newCount}/${v.replicas().length}`;
    if (sig !== progress) {
      progress = sig;
      lastProgressMs = now;
    }
    if (now - lastProgressMs >= state.rollout.progressDeadlineMs) {
      const why = v.failure(now - startedMs);
      throw Object.assign(new TimeoutError(why.text, { details: { service: state.service } }), { reasonMessage: why });
    }
    await v.wait(Math.min(1000, state.rollout.progressDeadlineMs - (now - lastProgressMs)));
  }
}
