/**
 * Preparing a revision: under the operation lock, revision N+1 is made from what the operation
 * before it left, rendered for its environment (a deploy's container images resolved and pinned by
 * digest), recorded in the store with what resolving did, and handed to `start`.
 */
import { said } from '../../model/messages.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { Release, Releases } from '../releases.js';
import { ReleaseKind } from '../../model/releaseStatus.js';
import type { RenderedRelease } from '../rendered.js';
import type { NewRevision } from '../revisions.js';
import type { EngineRenderer } from '../engineRender.js';
import { mergeDigests, withoutBuilt } from '../builtArtifacts.js';
import type { OperationOptions } from './engineTypes.js';
import type { Operation, OperationLock } from './operationLock.js';
import type { ReleaseBus } from './releaseBus.js';

export interface PrepareContext {
  releases: Releases;
  bus: ReleaseBus;
  renderer: EngineRenderer;
  lock: OperationLock;
  /** Runs the recorded revision under `op` (which then holds the lock until it and its rollback end). */
  start(op: Operation, release: Release): void;
}

/**
 * Takes the operation lock (refused, or queued with `wait`), renders and records revision N+1
 * from `make` (called holding the lock, so it sees what the operation before it left), and starts it.
 */
export async function createRevision(
  ctx: PrepareContext,
  app: string,
  env: string,
  opts: OperationOptions,
  make: () => Promise<NewRevision>,
): Promise<Release> {
  const { releases, bus, lock } = ctx;
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
        : await renderPinned(ctx.renderer, r, revision, pulls);
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
      options: {
        ...(r.timeoutMs === undefined ? {} : { timeoutMs: r.timeoutMs }),
        ...(r.promotedFrom ? { promotedFrom: r.promotedFrom } : {}),
      },
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
    ctx.start(op, rel);
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
async function renderPinned(
  renderer: EngineRenderer,
  r: NewRevision,
  revision: number,
  events: RuntimeEvent[],
): Promise<RenderedRelease> {
  const render = (images: Record<string, string> | undefined, codes: Record<string, string> | undefined) =>
    renderer.render({
      spec: r.spec,
      file: r.file,
      env: r.env,
      configVersion: r.configVersion,
      revision,
      ...(r.positionOf ? { positionOf: r.positionOf } : {}),
      ...(r.restarts ? { restarts: r.restarts } : {}),
      ...(images ? { images } : {}),
      ...(codes ? { codes } : {}),
    });
  const first = await render(r.images, r.codes);
  if (r.kind !== ReleaseKind.deploy) return first.rendered;
  // The code of each process service is snapshotted now: the revision runs exactly this code. What
  // a deploy carries is its builds' artifacts (builtArtifacts.ts): those are pinned already.
  const codes = mergeDigests(await renderer.pinCode(first.states, r, r.env, { store: true }), r.codes);
  const images = mergeDigests(
    await renderer.pinImages(withoutBuilt(first.states, r.images), r.env, {
      pull: true,
      onEvent: (e) => events.push(e),
    }),
    r.images,
  );
  return images || codes ? (await render(images, codes)).rendered : first.rendered;
}

function emptyRendered(app: string, env: string, configVersion: number): RenderedRelease {
  return { app, env, configVersion, levels: [], services: {}, routes: [] };
}
