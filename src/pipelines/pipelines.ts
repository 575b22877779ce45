/**
 * Pipelines (issue 17 point 3, docs/pipelines.md): each app's pipeline (set, shown), its runs (started
 * by hand, by a push or a pull request; listed, approved, cancelled) and the triggers the webhooks call
 * (`PipelineTriggers` of src/model/delivery.ts). One run per app runs at a time (runner.ts); a push
 * supersedes the queued runs an earlier push made (a newer commit of the branch makes them moot),
 * never a run started by hand or one under way.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SecretBox } from '../config/secretBox.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { PipelineTriggers, PullRequestEvent, PushEvent, TriggerAnswer } from '../model/delivery.js';
import type { PipelineInfo, PipelineRun, PipelineStepSpec, PipelineTrigger } from '../model/pipeline.js';
import { parsePipeline } from './definition.js';
import { GitSource } from './gitSource.js';
import { checkGitRef } from './gitNames.js';
import type { PipelineStore, StoredPipeline } from './pipelineStore.js';
import { PipelineRunner } from './runner.js';
import { stepLogFile } from './stepLog.js';
import type { StepPorts } from './stepPorts.js';

export interface PipelinesDeps {
  home: string;
  store: PipelineStore;
  box: SecretBox;
  ports: StepPorts;
  logger: Logger;
}

/** What `PUT /api/v1/pipelines/{app}` sends. */
export interface SetPipelineInput {
  file: string;
  text: string;
  /** `${NAME}` values for the webhook's secret (the CLI's environment). */
  variables?: Record<string, string>;
  /** The secret itself (`--webhook-secret-file`), instead of one in the file. */
  webhookSecret?: string;
  author: string;
}

export interface StartRunInput {
  trigger: PipelineTrigger;
  author: string;
  commit?: string;
  branch?: string;
  preview?: { key: string; env: string };
  /** The steps to run (a pull request's: its build and deploy steps into the preview); default: the pipeline's. */
  steps?: PipelineStepSpec[];
}

export class Pipelines implements PipelineTriggers {
  readonly root: string;
  private readonly runner: PipelineRunner;

  private readonly deps: PipelinesDeps;

  constructor(deps: PipelinesDeps) {
    this.deps = deps;
    this.root = join(deps.home, 'pipelines');
    this.runner = new PipelineRunner({
      store: deps.store,
      git: new GitSource(this.root),
      root: this.root,
      ports: deps.ports,
      logger: deps.logger,
    });
  }

  /** Resumes the runs a previous control plane left under way, and starts the queued ones. */
  start(): void {
    this.runner.start();
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  set(app: string, input: SetPipelineInput): PipelineInfo {
    const parsed = parsePipeline(input.text, input.file, new Map(Object.entries(input.variables ?? {})));
    const { definition } = parsed;
    if (parsed.webhookSecret !== undefined && input.webhookSecret !== undefined)
      throw new ValidationError('the webhook secret is given twice', [
        {
          path: 'webhookSecret',
          message: 'give it in the file (webhook.secret) or as --webhook-secret-file, not both',
        },
      ]);
    const secret = input.webhookSecret ?? parsed.webhookSecret;
    if (secret !== undefined && !definition.webhook) definition.webhook = {};
    const last = this.deps.store.pipeline(app);
    if (definition.webhook && secret === undefined && !last?.webhookSecret)
      throw new ValidationError(`${input.file}: the webhook has no secret`, [
        {
          file: input.file,
          path: 'webhook.secret',
          message: 'set webhook.secret (or --webhook-secret-file): webhooks are verified with it',
        },
      ]);
    const stored = this.deps.store.setPipeline(
      app,
      definition,
      secret !== undefined ? { encrypted: this.deps.box.encrypt(secret) } : definition.webhook ? 'keep' : 'none',
      input.author,
    );
    return infoOf(stored);
  }

  get(app: string): PipelineInfo {
    return infoOf(this.stored(app));
  }

  /** Queues a run of `app`'s pipeline (the source branch's head unless a commit or branch is given). */
  startRun(app: string, input: StartRunInput): PipelineRun {
    const pipeline = this.stored(app);
    const branch = input.branch ?? pipeline.definition.source.branch;
    const refProblem = checkGitRef(branch);
    if (refProblem) throw new ValidationError(`branch ${branch} is refused`, [{ path: 'branch', message: refProblem }]);
    if (input.commit !== undefined && !/^[0-9a-f]{7,64}$/.test(input.commit))
      throw new ValidationError(`commit ${input.commit} is refused`, [
        { path: 'commit', message: 'expected a commit id (7 to 64 hex digits)' },
      ]);
    const run = this.deps.store.createRun({
      app,
      trigger: input.trigger,
      author: input.author,
      branch,
      ...(input.commit ? { commit: input.commit } : {}),
      pipelineVersion: pipeline.version,
      ...(input.preview ? { preview: input.preview } : {}),
      steps: input.steps ?? pipeline.definition.steps,
    });
    if (input.trigger === 'push') this.supersede(app, run.id);
    this.runner.kick(app);
    return run;
  }

  run(id: number): PipelineRun {
    return this.deps.store.run(id);
  }

  runs(app: string, limit = 50): PipelineRun[] {
    this.stored(app);
    return this.deps.store.runs(app, limit);
  }

  /** Gives the approval run `id` waits for. */
  approve(id: number, author: string): PipelineRun {
    const run = this.deps.store.run(id);
    const step = run.steps.find((s) => s.status === 'waiting');
    if (run.status !== 'waiting' || !step)
      throw new ConflictError(`pipeline run ${id} is ${run.status}: it waits for no approval`, {
        details: { run: id, status: run.status },
      });
    this.deps.store.updateStep(id, step.index, { status: 'succeeded', finished: true, result: { approvedBy: author } });
    this.deps.store.updateRun(id, { status: 'running' });
    this.runner.approved(id);
    return this.deps.store.run(id);
  }

  /** Cancels a queued, running or waiting run: the step under way is stopped, nothing after it runs. */
  cancel(id: number, author: string): PipelineRun {
    const run = this.deps.store.run(id);
    if (!['queued', 'running', 'waiting'].includes(run.status))
      throw new ConflictError(`pipeline run ${id} is ${run.status} already`, {
        details: { run: id, status: run.status },
      });
    const reason = `cancelled by ${author}`;
    if (!this.runner.cancel(id, reason)) {
      this.deps.store.closeSteps(id, 'cancelled');
      this.deps.store.updateRun(id, { status: 'cancelled', finished: true, error: reason });
    }
    return this.deps.store.run(id);
  }

  /** The log file of step `index` (0-based) of run `id`. */
  logFile(id: number, index: number): string {
    const run = this.deps.store.run(id);
    if (!run.steps[index]) throw new NotFoundError(`pipeline run ${id} has no step ${index + 1}`);
    return stepLogFile(this.root, id, index);
  }

  /**
   * Calls `changed` after each line written to a step log of run `id` and each change of the run or its
   * steps (a step's or the run's end, a cancel) in this control plane; the answer stops the watch.
   */
  watch(id: number, changed: () => void): () => void {
    return this.deps.store.changes.watch(id, changed);
  }

  // --- PipelineTriggers (the webhooks, src/hooks) ---

  async webhookSecret(app: string): Promise<string | undefined> {
    const stored = this.deps.store.pipeline(app)?.webhookSecret;
    return stored === undefined ? undefined : this.deps.box.decrypt(stored);
  }

  async onPush(app: string, event: PushEvent): Promise<TriggerAnswer> {
    const pipeline = this.deps.store.pipeline(app);
    if (!pipeline) return { ignored: `${app} has no pipeline` };
    const source = pipeline.definition.source.branch;
    if (event.deleted || !event.commit) return { ignored: `${event.ref} was deleted` };
    if (event.branch !== source) return { ignored: `a push to ${event.ref}: the pipeline follows branch ${source}` };
    const run = this.startRun(app, {
      trigger: 'push',
      author: event.pusher ?? `${event.provider} push`,
      branch: source,
      commit: event.commit,
    });
    return { runId: String(run.id) };
  }

  async onPullRequest(app: string, event: PullRequestEvent): Promise<TriggerAnswer> {
    const pipeline = this.deps.store.pipeline(app);
    if (!pipeline) return { ignored: `${app} has no pipeline` };
    const previews = pipeline.definition.previews;
    if (!previews) return { ignored: `the pipeline of ${app} has no previews` };
    if (!this.deps.ports.previews) return { ignored: 'this control plane makes no preview environments' };
    // A preview shows what merging would bring into the pipeline's branch: pull requests into others get none.
    const branch = pipeline.definition.source.branch;
    if (event.baseBranch !== branch)
      return {
        ignored: `pull request ${event.number} targets ${event.baseBranch}, not the pipeline's branch ${branch}`,
      };
    const key = `pr-${event.number}`;
    if (event.action === 'closed') {
      // Its runs still to come or under way stop first: none deploys into the environment the close deletes.
      this.cancelPreviewRuns(app, key, `pull request ${event.number} was ${event.merged ? 'merged' : 'closed'}`);
      await this.deps.ports.previews.close(app, key, event.merged ? 'merged' : 'closed');
      return { ignored: `pull request ${event.number} ${event.merged ? 'merged' : 'closed'}: its preview is deleted` };
    }
    const env = await this.deps.ports.previews.open({
      app,
      key,
      template: previews.template,
      ttlMs: previews.ttlMs,
      author: event.author ?? `${event.provider} pull request`,
    });
    const steps = pipeline.definition.steps.flatMap((s): PipelineStepSpec[] =>
      s.kind === 'build' || s.kind === 'deploy' ? [{ ...s, env: env.env }] : [],
    );
    const run = this.startRun(app, {
      trigger: 'pull-request',
      author: event.author ?? `${event.provider} pull request`,
      branch: event.branch,
      commit: event.commit,
      preview: { key, env: env.env },
      steps,
    });
    return { runId: String(run.id) };
  }

  private stored(app: string): StoredPipeline {
    const p = this.deps.store.pipeline(app);
    if (!p)
      throw new NotFoundError(`${app} has no pipeline: set one with berth pipeline set ${app} -f pipeline.yaml`, {
        details: { app },
      });
    return p;
  }

  /** Cancels the queued, running or waiting runs into preview `key` of `app` (it is being closed). */
  cancelPreviewRuns(app: string, key: string, reason: string): void {
    for (const r of this.deps.store.runsIn(['queued', 'running', 'waiting'], app)) {
      if (r.preview?.key !== key) continue;
      if (this.runner.cancel(r.id, reason)) continue;
      this.deps.store.closeSteps(r.id, 'cancelled');
      this.deps.store.updateRun(r.id, { status: 'cancelled', finished: true, error: reason });
    }
  }

  /** Queued runs of earlier pushes make way for the newer push's run. */
  private supersede(app: string, newest: number): void {
    for (const r of this.deps.store.runsIn(['queued'], app)) {
      if (r.id === newest || r.trigger !== 'push' || r.preview) continue;
      this.deps.store.closeSteps(r.id, 'cancelled');
      this.deps.store.updateRun(r.id, {
        status: 'cancelled',
        finished: true,
        error: `superseded by run ${newest}, of a newer push`,
      });
    }
  }
}

function infoOf(p: StoredPipeline): PipelineInfo {
  return {
    app: p.app,
    version: p.version,
    definition: p.definition,
    webhookSecret: p.webhookSecret !== undefined,
    author: p.author,
    createdAt: p.createdAt,
  };
}
