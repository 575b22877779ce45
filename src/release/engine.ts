/**
 * The release engine: a durable state machine in the store. A release goes pending → running →
 * succeeded | failed; every step is committed before it is acted on and every action is idempotent,
 * so a control plane killed at any point resumes the release on start-up (`start`, resume.ts) with
 * what it was started with. Operations on one (app, env) are serialized by the operation lock
 * (operationLock.ts): a second one is refused or queued, never allowed to supersede the first; a
 * running release ends by finishing, failing, or a deliberate `cancel`. Running a release is
 * execute.ts; rendering for it engineRender.ts; its events releaseBus.ts.
 */
import { ConflictError, NotFoundError } from '../errors.js';
import type { RuntimeEvent } from '../model/observation.js';
import { planContextOf, planRelease } from './plan.js';
import {
  downRevision,
  policyRevision,
  restartRevision,
  rollbackRevision,
  scaleIsNoop,
  scaleRevision,
  type NewRevision,
} from './revisions.js';
import type { Release, ReleaseContent, StepCommand } from './releases.js';
import { ReleaseKind, ReleaseStatus } from '../model/releaseStatus.js';
import { createReleaseBus, isFinished } from './releaseBus.js';
import { createEngineRenderer } from './engineRender.js';
import { createOperationLock } from './operationLock.js';
import { message, said } from '../model/messages.js';
import { checkKubernetesObjects } from './kubernetesRender.js';
import { cancelledError, runOperation, type ExecuteContext } from './execute.js';
import { resumeAll } from './resume.js';
import type { EngineDeps, OperationOptions, ReleaseEngine } from './engineTypes.js';
import { runningImages } from './pinImages.js';

export type {
  DeployRequest,
  EngineDeps,
  OperationOptions,
  PlanRequest,
  PlanResult,
  ReleaseEngine,
} from './engineTypes.js';
export type { EngineUpdate } from './releaseBus.js';

const key = (app: string, env: string): string => `${app}/${env}`;

export function createReleaseEngine(deps: EngineDeps): ReleaseEngine {
  const { releases } = deps;
  const closing = new AbortController();
  const bus = createReleaseBus(releases);
  const renderer = createEngineRenderer(deps);
  const lock = createOperationLock({
    leases: deps.leases,
    isHolderAlive: deps.isHolderAlive,
    logger: deps.logger,
    leaseTtlMs: deps.leaseTtlMs ?? 15_000,
    closing: closing.signal,
  });
  const resyncs = new Map<string, AbortController>();
  const ctx: ExecuteContext = { deps, bus, renderer, closing: closing.signal };

  /** Leaves a promote/abort for the running progressive rollout of a service. */
  async function command(
    req: { app: string; env: string; service: string; author: string },
    kind: StepCommand['kind'],
  ): Promise<Release> {
    const release = (await releases.unfinished()).find((r) => r.app === req.app && r.env === req.env);
    const what = kind === 'abort' ? 'abort' : 'promote';
    if (!release) throw new ConflictError(`nothing to ${what}: no release of ${req.app} is running in ${req.env}`);
    const step = release.steps.find((s) => s.service === req.service);
    if (!step) throw new NotFoundError(`revision ${release.revision} of ${req.app} has no service ${req.service}`);
    const taken = await releases.setCommand(release.id, req.service, {
      kind,
      by: req.author,
      at: new Date().toISOString(),
    });
    if (!taken) {
      const rolling = step.status === 'running' && !step.progress;
      throw new ConflictError(
        `nothing to ${what}: ${req.service} has no canary, blue-green or A/B rollout running in revision ${release.revision} (its step is ${rolling ? 'a rolling update, running' : step.status})` +
          (kind === 'abort'
            ? `; to end revision ${release.revision}, use \`berth cancel ${req.app} -e ${req.env}\``
            : ''),
        { details: { app: req.app, env: req.env, revision: release.revision, service: req.service } },
      );
    }
    await bus.record(release.id, {
      service: req.service,
      type: 'Normal',
      reason: kind === 'abort' ? 'AbortRequested' : 'PromoteRequested',
      ...said(
        message(
          kind === 'abort'
            ? 'event.abortRequested'
            : kind === 'promoteFull'
              ? 'event.promoteFullRequested'
              : 'event.promoteRequested',
          { by: req.author },
        ),
      ),
    });
    return releases.get(release.id);
  }

  /**
   * Takes the operation lock (refused, or queued with `wait`), renders and records revision N+1
   * from `make` (called holding the lock, so it sees what the operation before it left), and starts it.
   */
  async function createRevision(
    app: string,
    env: string,
    opts: OperationOptions,
    make: () => Promise<NewRevision>,
  ): Promise<Release> {
    // Made once before the lock too: a request that cannot be made (no such service, nothing
    // running) is refused for that, not for another operation being under way.
    await make();
    const op = await lock.acquire(app, env, opts);
    try {
      const r = await make();
      const last = (await releases.list(r.app, r.env, 1))[0];
      const revision = (last?.revision ?? 0) + 1;
      const pulls: RuntimeEvent[] = [];
      const rendered =
        r.kind === ReleaseKind.down
          ? emptyRendered(r.app, r.env, r.configVersion ?? 0)
          : await renderPinned(r, revision, pulls);
      const rel = await releases.create({
        app: r.app,
        env: r.env,
        kind: r.kind,
        spec: r.spec,
        specDigest: r.specDigest,
        specFile: r.file,
        configVersion: rendered.configVersion,
        rendered,
        rollbackPolicy: r.rollbackPolicy,
        options: r.timeoutMs === undefined ? {} : { timeoutMs: r.timeoutMs },
        author: r.author,
        ...(r.message === undefined ? {} : { message: r.message }),
        ...(r.sourceRevision === undefined ? {} : { sourceRevision: r.sourceRevision }),
      });
      op.release = rel;
      // What resolving its images did (pulled, found present) belongs to the revision's events.
      for (const e of pulls)
        await bus.record(rel.id, {
          time: e.time,
          service: e.service,
          type: e.type,
          reason: e.reason,
          ...(e.detail ? said(e.detail) : { message: e.message }),
        });
      resyncs.get(key(app, env))?.abort();
      lock.hold(op, () => runOperation(ctx, op, rel));
      return rel;
    } catch (err) {
      await lock.giveUp(op);
      throw err;
    }
  }

  /**
   * Revision `revision` of `r`, rendered. A deploy resolves its container images first (pulling as
   * their policy says) and renders again with their digests, so the revision records them; every
   * other operation runs the digests it carries (a rollback its target's, a scale the running ones).
   */
  async function renderPinned(r: NewRevision, revision: number, events: RuntimeEvent[]) {
    const render = (images: Record<string, string> | undefined) =>
      renderer.render(r.spec, r.file, r.env, r.configVersion, revision, r.positionOf, r.restarts, undefined, images);
    const first = await render(r.images);
    if (r.kind !== ReleaseKind.deploy) return first.rendered;
    const images = await renderer.pinImages(first.states, r.env, {
      pull: true,
      onEvent: (e) => events.push(e),
    });
    return images ? (await render(images)).rendered : first.rendered;
  }

  /** The running revision of an app, with its content; NotFound when nothing runs. */
  async function currentContent(app: string, env: string, what: string): Promise<ReleaseContent> {
    const current = await releases.current(app, env);
    if (!current || current.kind === ReleaseKind.down)
      throw new NotFoundError(`${app} is not running in ${env}; nothing to ${what}`);
    return releases.content(current.id);
  }

  const lockOpts = (req: OperationOptions): OperationOptions => ({
    ...(req.wait === undefined ? {} : { wait: req.wait }),
    ...(req.signal === undefined ? {} : { signal: req.signal }),
  });

  return {
    async plan(req) {
      const { spec, file, digest, positionOf } = req.loaded;
      const current = await releases.current(spec.name, req.env);
      const running = current ? (await releases.content(current.id)).rendered : undefined;
      const restarts = running?.restarts;
      const trial = req.configChange ? await deps.configSets.preview(spec.name, req.env, req.configChange) : undefined;
      const render = (images?: Record<string, string>) =>
        renderer.render(
          spec,
          file,
          req.env,
          req.configVersion,
          (current?.revision ?? 0) + 1,
          positionOf,
          restarts,
          trial?.resolved,
          images,
        );
      // The digests the deploy would record, from the images on the machine (a plan pulls nothing).
      const unpinned = await render();
      const images = await renderer.pinImages(unpinned.states, req.env, {
        pull: false,
        fallback: runningImages(running),
      });
      const result = images ? await render(images) : unpinned;
      const plan = await renderer.planAgainst(current, spec, digest, result, trial?.diff);
      return current ? { plan, current } : { plan };
    },

    async latestSpec(app, env) {
      const [last] = await releases.list(app, env, 1);
      if (!last) throw new NotFoundError(`${app} has never been deployed to ${env}: send its berth.yaml`);
      const content = await releases.content(last.id);
      return { spec: content.spec, file: last.specFile, digest: last.specDigest };
    },

    async deploy(req) {
      const { spec, file, digest, positionOf } = req.loaded;
      const environment = await deps.environments.get(req.env);
      // What the cluster would refuse is refused here, at its berth.yaml line, not by a failed release.
      if (environment.target.kind === 'kubernetes')
        await checkKubernetesObjects(
          { ...deps, digestSecret: (s) => deps.secretBox.digest(s) },
          { loaded: req.loaded, env: req.env, environment, configVersion: req.configVersion },
        );
      return createRevision(spec.name, req.env, lockOpts(req), async () => {
        const current = await releases.current(spec.name, req.env);
        // A restart stays part of the running state: a later deploy must not restart again.
        const restarts = current ? (await releases.content(current.id)).rendered.restarts : undefined;
        return {
          app: spec.name,
          env: req.env,
          kind: ReleaseKind.deploy,
          spec,
          specDigest: digest,
          file,
          configVersion: req.configVersion,
          ...(restarts ? { restarts } : {}),
          author: req.author,
          ...(req.message === undefined ? {} : { message: req.message }),
          rollbackPolicy: req.rollbackPolicy ?? 'auto',
          positionOf,
          ...(req.timeoutMs === undefined ? {} : { timeoutMs: req.timeoutMs }),
        };
      });
    },

    async rollback(req) {
      return createRevision(req.app, req.env, lockOpts(req), async () => {
        const current = await releases.current(req.app, req.env);
        if (!current) throw new NotFoundError(`${req.app}/${req.env} has no release to roll back from`);
        const target =
          req.toRevision !== undefined
            ? await releases.byRevision(req.app, req.env, req.toRevision)
            : await releases.lastGood(req.app, req.env, current.revision);
        if (!target) throw new NotFoundError(`${req.app}/${req.env} has no earlier good revision to roll back to`);
        return rollbackRevision(await releases.content(target.id), req);
      });
    },

    async scale(req) {
      // The same count again: nothing to do, no revision (the running one is the answer).
      const content = await currentContent(req.app, req.env, 'scale');
      if (scaleIsNoop(content, req)) return content.release;
      return createRevision(req.app, req.env, lockOpts(req), async () =>
        scaleRevision(await currentContent(req.app, req.env, 'scale'), req),
      );
    },

    async setPolicy(req) {
      return createRevision(req.app, req.env, lockOpts(req), async () =>
        policyRevision(await currentContent(req.app, req.env, 'change a traffic policy in'), req),
      );
    },

    async restart(req) {
      return createRevision(req.app, req.env, lockOpts(req), async () =>
        restartRevision(await currentContent(req.app, req.env, 'restart'), req, new Date().toISOString()),
      );
    },

    async down(req) {
      return createRevision(req.app, req.env, lockOpts(req), async () => {
        const current = await releases.current(req.app, req.env);
        const last = current ?? (await releases.list(req.app, req.env, 1))[0];
        if (!last) throw new NotFoundError(`${req.app} has never been deployed to ${req.env}`);
        return downRevision(await releases.content(last.id), req);
      });
    },

    async promote(req) {
      return command(req, req.full ? 'promoteFull' : 'promote');
    },

    async abort(req) {
      return command(req, 'abort');
    },

    async cancel(req) {
      const op = lock.current(req.app, req.env);
      const running = op?.release ?? (await releases.unfinished()).find((r) => r.app === req.app && r.env === req.env);
      if (!running) throw new ConflictError(`nothing to cancel: no release of ${req.app} is running in ${req.env}`);
      if (req.revision !== undefined && req.revision !== running.revision)
        throw new ConflictError(
          `revision ${req.revision} of ${req.app} is not running in ${req.env} (revision ${running.revision} is)`,
          { details: { app: req.app, env: req.env, revision: running.revision } },
        );
      const request = { by: req.author, at: new Date().toISOString() };
      if (!(await releases.requestCancel(running.id, request))) {
        const now = await releases.get(running.id);
        throw new ConflictError(`nothing to cancel: revision ${now.revision} of ${req.app} has already ${now.status}`);
      }
      const stored = await releases.get(running.id);
      await bus.record(running.id, {
        service: null,
        type: 'Warning',
        reason: 'CancelRequested',
        ...said(
          message(
            stored.rollbackPolicy === 'auto' && stored.kind !== ReleaseKind.autoRollback
              ? 'event.cancelRequestedRollback'
              : 'event.cancelRequested',
            { by: req.author },
          ),
        ),
      });
      if (op?.release?.id === running.id) op.cancel?.abort(cancelledError(stored.cancelRequest ?? request));
      return stored;
    },

    async wait(id, signal) {
      const r = await bus.finished(id, signal);
      // An auto-rollback runs right after; callers waiting on the failed one wait for it too.
      const op = lock.current(r.app, r.env);
      if (op && r.status === ReleaseStatus.failed && r.rollbackPolicy === 'auto' && !signal?.aborted) await op.done;
      return isFinished(r) ? releases.get(id) : r;
    },

    subscribe(id, listener) {
      return bus.subscribe(id, listener);
    },

    async diff(app, env, from, to) {
      const a = await releases.content((await releases.byRevision(app, env, from)).id);
      const b = await releases.content((await releases.byRevision(app, env, to)).id);
      const cfg = await deps.configSets.diff(app, env, a.release.configVersion, b.release.configVersion);
      const diffContext = planContextOf(cfg, a.release.specDigest !== b.release.specDigest);
      return planRelease(a.release.kind === ReleaseKind.down ? undefined : a.rendered, b.rendered, diffContext);
    },

    async start() {
      await resumeAll({ ...ctx, lock, resyncs });
    },

    async close() {
      closing.abort();
      for (const ac of resyncs.values()) ac.abort();
      await Promise.allSettled(lock.running());
    },
  };
}

function emptyRendered(app: string, env: string, configVersion: number) {
  return { app, env, configVersion, levels: [], services: {}, routes: [] };
}
