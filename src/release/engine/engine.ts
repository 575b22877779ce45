/**
 * The release engine: a durable state machine in the store. A release goes pending → running →
 * succeeded | failed; every step is committed before it is acted on and every action is idempotent,
 * so a control plane killed at any point resumes the release on start-up (`start`, resume.ts) with
 * what it was started with. Operations on one (app, env) are serialized by the operation lock
 * (operationLock.ts): a second one is refused or queued, never allowed to supersede the first; a
 * running release ends by finishing, failing, or a deliberate `cancel`.
 *
 * This file wires the concerns together; each lives in its own file of this folder, with its test
 * beside it: the lock (operationLock.ts), preparing a revision (prepare.ts), running it
 * (execute.ts: levels.ts, deadline.ts, failure.ts, rollback.ts), promote/abort/cancel
 * (commands.ts), start-up (resume.ts), the events (releaseBus.ts) and time (clock.ts).
 * Rendering for it is ../engineRender.ts.
 */
import { NotFoundError } from '../../errors.js';
import { planContextOf, planRelease } from '../plan.js';
import {
  downRevision,
  policyRevision,
  restartRevision,
  rollbackRevision,
  scaleIsNoop,
  scaleRevision,
  type NewRevision,
} from '../revisions.js';
import type { ReleaseContent } from '../releases.js';
import { ReleaseKind, ReleaseStatus } from '../../model/releaseStatus.js';
import { createEngineRenderer } from '../engineRender.js';
import { runningImages } from '../pinImages.js';
import { codeChangesOf } from '../pinCode.js';
import { promotionRevision } from '../promoteRevision.js';
import { mergeDigests, withBuilds, withoutBuilt } from '../builtArtifacts.js';
import { isoNow, systemClock } from './clock.js';
import { cancelRelease, stepCommand, type CommandContext } from './commands.js';
import { runOperation, type ExecuteContext } from './execute.js';
import { createOperationLock } from './operationLock.js';
import { createRevision, type PrepareContext } from './prepare.js';
import { createReleaseBus, isFinished } from './releaseBus.js';
import { resumeAll } from './resume.js';
import type { EngineDeps, OperationOptions, ReleaseEngine } from './engineTypes.js';

export type {
  DeployRequest,
  EngineDeps,
  OperationOptions,
  PlanRequest,
  PlanResult,
  PromotionStart,
  ReleaseEngine,
} from './engineTypes.js';
export type { EngineUpdate } from './releaseBus.js';

const key = (app: string, env: string): string => `${app}/${env}`;

export function createReleaseEngine(deps: EngineDeps): ReleaseEngine {
  const { releases } = deps;
  const closing = new AbortController();
  const clock = deps.clock ?? systemClock;
  const bus = createReleaseBus(releases, clock);
  const renderer = createEngineRenderer(deps);
  const lock = createOperationLock({
    leases: deps.leases,
    isHolderAlive: deps.isHolderAlive,
    logger: deps.logger,
    leaseTtlMs: deps.leaseTtlMs ?? 15_000,
    closing: closing.signal,
    clock,
  });
  const resyncs = new Map<string, AbortController>();
  const ctx: ExecuteContext = { deps, bus, renderer, clock, closing: closing.signal };
  const commands: CommandContext = { releases, bus, lock, clock };
  const preparing: PrepareContext = {
    releases,
    bus,
    renderer,
    lock,
    start(op, rel) {
      resyncs.get(key(rel.app, rel.env))?.abort();
      lock.hold(op, () => runOperation(ctx, op, rel));
    },
  };
  const newRevision = (app: string, env: string, opts: OperationOptions, make: () => Promise<NewRevision>) =>
    createRevision(preparing, app, env, opts, make);

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
      // Services with `build:` run their builds' artifacts (builtArtifacts.ts).
      const built = await withBuilds(deps.builtArtifacts, req.loaded, req.env, req.commit);
      const { spec, file, digest, positionOf } = built.loaded;
      const current = await releases.current(spec.name, req.env);
      const running = current ? (await releases.content(current.id)).rendered : undefined;
      const restarts = running?.restarts;
      const trial = req.configChange ? await deps.configSets.preview(spec.name, req.env, req.configChange) : undefined;
      // A plan reads addresses: it allocates none (a new service's are `(allocated at deploy)`).
      const render = (images?: Record<string, string>, codes?: Record<string, string>) =>
        renderer.render({
          spec,
          file,
          env: req.env,
          configVersion: req.configVersion,
          revision: (current?.revision ?? 0) + 1,
          ...(positionOf ? { positionOf } : {}),
          ...(restarts ? { restarts } : {}),
          ...(trial ? { trial: trial.resolved } : {}),
          ...(images ? { images } : {}),
          ...(codes ? { codes } : {}),
          allocate: false,
        });
      // The digests the deploy would record, from the images on the machine (a plan pulls nothing).
      const unpinned = await render();
      const pinned = await renderer.pinImages(withoutBuilt(unpinned.states, built.images), req.env, {
        pull: false,
        fallback: runningImages(running),
      });
      const images = mergeDigests(pinned, built.images);
      // The code the deploy would snapshot: its digest and manifest only (no file is stored).
      const codes = mergeDigests(
        await renderer.pinCode(unpinned.states, built.loaded, req.env, { store: false }),
        built.codes,
      );
      const result = images || codes ? await render(images, codes) : unpinned;
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
      // Services with `build:` run their builds' artifacts; one never built is refused here.
      const built = await withBuilds(deps.builtArtifacts, req.loaded, req.env, req.commit);
      const { spec, file, digest, positionOf } = built.loaded;
      // What the runtime would refuse (a cluster's schemas) is refused here, at its berth.yaml line,
      // not by a failed release.
      await renderer.check(built.loaded, req.env, req.configVersion);
      return newRevision(spec.name, req.env, lockOpts(req), async () => {
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
          // A deploy carries only its builds' artifacts: the rest it resolves anew (prepare.ts).
          ...(built.images ? { images: built.images } : {}),
          ...(built.codes ? { codes: built.codes } : {}),
        };
      });
    },

    async promotion(req) {
      const { source, to } = req;
      await renderer.check({ spec: source.spec, file: source.release.specFile }, to, req.configVersion);
      return newRevision(source.release.app, to, lockOpts(req), async () => {
        const current = await releases.current(source.release.app, to);
        const restarts = current ? (await releases.content(current.id)).rendered.restarts : undefined;
        return promotionRevision(source, {
          to,
          author: req.author,
          message: req.message,
          configVersion: req.configVersion,
          restarts,
        });
      });
    },

    async planPromotion({ source, to, configVersion }) {
      const current = await releases.current(source.release.app, to);
      const restarts = current ? (await releases.content(current.id)).rendered.restarts : undefined;
      const r = promotionRevision(source, { to, author: '', restarts, configVersion });
      const result = await renderer.render({
        spec: r.spec,
        file: r.file,
        env: to,
        configVersion: r.configVersion,
        revision: (current?.revision ?? 0) + 1,
        restarts: r.restarts,
        images: r.images,
        codes: r.codes,
        allocate: false,
      });
      const plan = await renderer.planAgainst(current, r.spec, r.specDigest, result);
      return current ? { plan, current } : { plan };
    },

    async rollback(req) {
      return newRevision(req.app, req.env, lockOpts(req), async () => {
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
      return newRevision(req.app, req.env, lockOpts(req), async () =>
        scaleRevision(await currentContent(req.app, req.env, 'scale'), req),
      );
    },

    async setPolicy(req) {
      return newRevision(req.app, req.env, lockOpts(req), async () =>
        policyRevision(await currentContent(req.app, req.env, 'change a traffic policy in'), req),
      );
    },

    async restart(req) {
      return newRevision(req.app, req.env, lockOpts(req), async () =>
        restartRevision(await currentContent(req.app, req.env, 'restart'), req, isoNow(clock)),
      );
    },

    async down(req) {
      return newRevision(req.app, req.env, lockOpts(req), async () => {
        const current = await releases.current(req.app, req.env);
        const last = current ?? (await releases.list(req.app, req.env, 1))[0];
        if (!last) throw new NotFoundError(`${req.app} has never been deployed to ${req.env}`);
        return downRevision(await releases.content(last.id), req);
      });
    },

    async promote(req) {
      return stepCommand(commands, req, req.full ? 'promoteFull' : 'promote');
    },

    async abort(req) {
      return stepCommand(commands, req, 'abort');
    },

    async cancel(req) {
      return cancelRelease(commands, req);
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
      const before = a.release.kind === ReleaseKind.down ? undefined : a.rendered;
      const codeChanges = await codeChangesOf(deps.codeStore, before, b.rendered);
      const diffContext = planContextOf(cfg, a.release.specDigest !== b.release.specDigest);
      return planRelease(before, b.rendered, { ...diffContext, ...(codeChanges ? { codeChanges } : {}) });
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
