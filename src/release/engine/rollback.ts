/**
 * The automatic rollback of a failed release (rollback policy `auto`): a new revision of kind
 * `auto-rollback` with the last good revision's content, config version and images, run right after
 * under the same operation. Never for an auto-rollback itself, a `down`, or policy `none`.
 */
import { message as coded, said, type Message } from '../../model/messages.js';
import type { Release } from '../releases.js';
import { ReleaseKind } from '../../model/releaseStatus.js';
import type { ExecuteContext } from './context.js';

/** Whether a failure of `r` is rolled back automatically. */
export function rollsBack(r: Release): boolean {
  return r.rollbackPolicy === 'auto' && r.kind !== ReleaseKind.autoRollback && r.kind !== ReleaseKind.down;
}

/** Creates the auto-rollback revision of `failed` and returns it (to run next); undefined when there is none to make. */
export async function autoRollback(
  ctx: ExecuteContext,
  failed: Release,
  reason: Message,
): Promise<Release | undefined> {
  const { releases } = ctx.deps;
  if (!rollsBack(failed)) return undefined;
  const good = await releases.lastGood(failed.app, failed.env, failed.revision);
  if (!good) {
    await ctx.bus.record(failed.id, {
      service: null,
      type: 'Warning',
      reason: 'NoRollback',
      ...said(coded('event.noRollback')),
    });
    return undefined;
  }
  const content = await releases.content(good.id);
  const rb = await releases.create({
    app: failed.app,
    env: failed.env,
    kind: ReleaseKind.autoRollback,
    spec: content.spec,
    specDigest: good.specDigest,
    specFile: good.specFile,
    configVersion: good.configVersion,
    rendered: content.rendered,
    sourceRevision: good.revision,
    rollbackPolicy: 'none',
    author: 'berth',
    message: coded('revision.autoRollback', { revision: failed.revision, reason }),
  });
  await ctx.bus.record(failed.id, {
    service: null,
    type: 'Warning',
    reason: 'RollingBack',
    ...said(coded('event.rollingBack', { target: good.revision, revision: rb.revision })),
  });
  return rb;
}
