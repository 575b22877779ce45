/**
 * Runs pipeline runs: one at a time per app (the next queued run starts when one ends), each step
 * committed to the store before it acts, so a control plane stopped or killed mid-run picks the run
 * up on start: the checkout is made again, a step that was running is run again (a test or a build is
 * safe to repeat; a deploy follows the release it had made, runSteps.ts), an approval keeps waiting.
 * A failing step fails the run with its log tail and nothing after it runs; a cancel stops the step
 * under way. The checkout (`<root>/work/<app>`: one run per app at a time) is removed when the run ends.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { toBerthError, ValidationError } from '../errors.js';
import type { PipelineRun, PipelineRunStep } from '../model/pipeline.js';
import type { GitSource } from './gitSource.js';
import type { PipelineStore } from './pipelineStore.js';
import { performStep } from './runSteps.js';
import { stopLeftoverGroup } from './leftovers.js';
import { maxLogBytes, StepLog, stepLogFile } from './stepLog.js';
import type { StepPorts } from './stepPorts.js';

export interface RunnerDeps {
  store: PipelineStore;
  git: GitSource;
  /** `<home>/pipelines`: repos/, work/, runs/. */
  root: string;
  ports: StepPorts;
  logger: Logger;
}

const FINISHED = new Set(['succeeded', 'skipped', 'failed', 'cancelled']);

/** Why a run stops before its end: a cancel, or the control plane stopping (the run resumes). */
class Stopped extends Error {
  readonly why: 'cancel' | 'close';

  constructor(why: 'cancel' | 'close', message: string) {
    super(message);
    this.why = why;
  }
}

export class PipelineRunner {
  private readonly active = new Map<string, Promise<void>>();
  private readonly controllers = new Map<number, AbortController>();
  private readonly approvals = new Map<number, () => void>();
  private closing = false;

  private readonly deps: RunnerDeps;

  constructor(deps: RunnerDeps) {
    this.deps = deps;
  }

  /** Step `index` of run `id`'s log: each line written wakes the run's followers (store.changes). */
  private stepLog(id: number, index: number): StepLog {
    const { store, root } = this.deps;
    return new StepLog(stepLogFile(root, id, index), maxLogBytes(), () => store.changes.notify(id));
  }

  /** Starts what the store says is under way or queued (after a restart). */
  start(): void {
    const apps = new Set(this.deps.store.runsIn(['running', 'waiting', 'queued']).map((r) => r.app));
    for (const app of apps) this.kick(app);
  }

  /** Runs `app`'s queued runs, one at a time, unless they run already. */
  kick(app: string): void {
    if (this.closing || this.active.has(app)) return;
    const work = (async () => {
      while (!this.closing) {
        const next =
          this.deps.store.runsIn(['running', 'waiting'], app)[0] ?? this.deps.store.runsIn(['queued'], app)[0];
        if (!next) return;
        await this.execute(next);
      }
    })()
      .catch((err: unknown) => this.deps.logger.error({ err, app }, 'pipeline runner stopped'))
      .finally(() => {
        this.active.delete(app);
        // A run queued between the last look and now would wait for the next kick: look again.
        if (!this.closing && this.deps.store.runsIn(['queued'], app).length > 0) this.kick(app);
      });
    this.active.set(app, work);
  }

  /** Stops the step under way of `id` (a running or waiting run); false when it is not running here. */
  cancel(id: number, reason: string): boolean {
    const ctl = this.controllers.get(id);
    if (!ctl) return false;
    ctl.abort(new Stopped('cancel', reason));
    return true;
  }

  /** Wakes a run waiting on an approval the store now records as given. */
  approved(id: number): void {
    this.approvals.get(id)?.();
  }

  /** Stops every run here without changing their state in the store: they resume on the next start. */
  async close(): Promise<void> {
    this.closing = true;
    for (const ctl of this.controllers.values()) ctl.abort(new Stopped('close', 'the control plane is stopping'));
    await Promise.all([...this.active.values()]);
  }

  private async execute(first: PipelineRun): Promise<void> {
    const { store, git, root } = this.deps;
    const ctl = new AbortController();
    this.controllers.set(first.id, ctl);
    // One run per app at a time: the same folder each run, so a commit deployed again renders the same.
    const workspace = join(root, 'work', first.app);
    let current: PipelineRunStep | undefined;
    // How the run ended, recorded once its checkout is gone (a close leaves it to resume).
    let outcome: { status: 'succeeded' | 'failed' | 'cancelled'; error?: string } | undefined;
    try {
      store.updateRun(first.id, { status: 'running', started: true });
      const pipeline = store.pipeline(first.app, first.pipelineVersion);
      if (!pipeline) throw new Error(`version ${first.pipelineVersion} of the pipeline of ${first.app} is gone`);
      const def = pipeline.definition;
      current = first.steps.find((s) => !FINISHED.has(s.status));
      if (!current) {
        outcome = { status: 'succeeded' };
        return;
      }
      const setupLog = this.stepLog(first.id, current.index);
      setupLog.note(`==> fetching ${def.source.url}`);
      await git.fetch(first.app, def.source.url, ctl.signal);
      const commit = first.commit
        ? await git.resolveCommit(first.app, first.commit)
        : await git.branchHead(first.app, first.branch);
      if (commit !== first.commit) store.updateRun(first.id, { commit });
      setupLog.note(`==> checking out ${await git.describe(first.app, commit)}`);
      await git.checkout(first.app, commit, workspace);
      const appDir = join(workspace, def.source.path);
      for (;;) {
        const run = { ...store.run(first.id), commit };
        current = run.steps.find((s) => !FINISHED.has(s.status));
        if (!current) break;
        this.throwIfStopped(ctl.signal);
        const log = this.stepLog(run.id, current.index);
        if (current.spec.kind === 'approval') {
          await this.awaitApproval(run, current, log, ctl.signal);
          continue;
        }
        store.updateStep(run.id, current.index, { status: 'running', started: current.status !== 'running' });
        if (current.status === 'running') {
          const left = current.result;
          if (left?.pid !== undefined && left.pidStart !== undefined && stopLeftoverGroup(left.pid, left.pidStart))
            log.note(`==> stopped the command the control plane had started before it restarted (pid ${left.pid})`);
          log.note('==> the control plane restarted during this step: running it again');
        }
        try {
          const result = await performStep({
            run,
            step: current,
            definition: def,
            appDir,
            log,
            signal: ctl.signal,
            store,
            ports: this.deps.ports,
          });
          this.throwIfStopped(ctl.signal);
          store.updateStep(run.id, current.index, { status: 'succeeded', finished: true, result });
        } catch (err) {
          this.throwIfStopped(ctl.signal);
          const { message, described } = failureOf(err, workspace);
          log.note(`==> failed: ${described}`);
          store.updateStep(run.id, current.index, {
            status: 'failed',
            finished: true,
            error: message,
            logTail: log.tail(),
          });
          store.closeSteps(run.id, 'skipped');
          outcome = { status: 'failed', error: `step ${current.index + 1} (${current.title}) failed: ${message}` };
          return;
        }
      }
      outcome = { status: 'succeeded' };
    } catch (err) {
      const stopped = ctl.signal.aborted ? (ctl.signal.reason as Stopped) : undefined;
      if (stopped?.why === 'close') return;
      if (stopped?.why === 'cancel') {
        if (current) store.updateStep(first.id, current.index, { status: 'cancelled', finished: true });
        store.closeSteps(first.id, 'skipped');
        outcome = { status: 'cancelled', error: stopped.message };
        return;
      }
      // The fetch or checkout failed (or the store did): the run fails naming it.
      const message = toBerthError(err).message;
      if (current) {
        this.stepLog(first.id, current.index).note(`==> failed: ${message}`);
        store.updateStep(first.id, current.index, { status: 'failed', finished: true, error: message });
      }
      store.closeSteps(first.id, 'skipped');
      outcome = { status: 'failed', error: message };
    } finally {
      this.controllers.delete(first.id);
      await rm(workspace, { recursive: true, force: true }).catch(() => undefined);
      if (outcome) this.finish(first.id, outcome.status, outcome.error);
    }
  }

  private finish(id: number, status: 'succeeded' | 'failed' | 'cancelled', error?: string): void {
    this.deps.store.updateRun(id, { status, finished: true, ...(error === undefined ? {} : { error }) });
    this.deps.logger.info({ run: id, status, error }, 'pipeline run finished');
  }

  private throwIfStopped(signal: AbortSignal): void {
    if (signal.aborted) throw signal.reason as Stopped;
  }

  /** Marks the step and the run waiting, then waits until `approve` records the approval (or a cancel). */
  private async awaitApproval(
    run: PipelineRun,
    step: PipelineRunStep,
    log: StepLog,
    signal: AbortSignal,
  ): Promise<void> {
    const { store } = this.deps;
    const woken = new Promise<void>((resolve, reject) => {
      this.approvals.set(run.id, resolve);
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
    woken.catch(() => undefined);
    try {
      if (step.status !== 'waiting') {
        store.updateStep(run.id, step.index, { status: 'waiting', started: true });
        log.note(`==> waiting for an approval: berth pipeline approve ${run.id}`);
      }
      store.updateRun(run.id, { status: 'waiting' });
      // Approved between the read above and now: the store says so.
      if (store.run(run.id).steps[step.index]?.status !== 'succeeded') await woken;
      store.updateRun(run.id, { status: 'running' });
    } finally {
      this.approvals.delete(run.id);
    }
  }
}

/**
 * A failed step's error (the checkout's folder left out: the files are named as in the repository) and
 * what its log says: a validation error's problems too, one a line (`app/berth.yaml:8:50 field: why`).
 */
function failureOf(err: unknown, workspace: string): { message: string; described: string } {
  const e = toBerthError(err);
  const inRepo = (text: string): string => text.split(`${workspace}/`).join('');
  return {
    message: inRepo(e.message),
    described: inRepo(e instanceof ValidationError ? e.describe() : e.message),
  };
}
