/**
 * What a promotion makes: revision N+1 of an app in the target environment with the source
 * revision's content — its stored spec, its pinned image digests and code snapshots — rendered with
 * the target's own config and settings (its current config version, its variables, its addresses).
 */
import { ValidationError } from '../errors.js';
import { message } from '../model/messages.js';
import { ReleaseKind } from '../model/releaseStatus.js';
import type { ReleaseContent } from './releases.js';
import type { NewRevision } from './revisions.js';

export interface PromotionRevisionRequest {
  to: string;
  author: string;
  message?: string | undefined;
  /** The target's config version to render with; its current one when undefined. */
  configVersion?: number | undefined;
  /** The target's restart stamps (a restart stays part of its running state, as for a deploy). */
  restarts?: Record<string, string> | undefined;
}

/** Revision `source`'s content as a promotion into `req.to`, rendered there with `to`'s current config. */
export function promotionRevision(source: ReleaseContent, req: PromotionRevisionRequest): NewRevision {
  const s = source.release;
  if (s.kind === ReleaseKind.down)
    throw new ValidationError(`revision ${s.revision} of ${s.app} in ${s.env} took the app down: nothing to promote`, [
      { path: 'from', message: `${s.env}@${s.revision} is a down` },
    ]);
  const { images, codes } = source.rendered;
  return {
    app: s.app,
    env: req.to,
    kind: ReleaseKind.promotion,
    spec: source.spec,
    specDigest: s.specDigest,
    file: s.specFile,
    // The target's own config: the version asked for (what a preview showed), else its current one.
    configVersion: req.configVersion,
    ...(req.restarts ? { restarts: req.restarts } : {}),
    ...(images ? { images } : {}),
    ...(codes ? { codes } : {}),
    author: req.author,
    message: req.message ?? message('revision.promoted', { env: s.env, revision: s.revision }),
    promotedFrom: { env: s.env, revision: s.revision },
    rollbackPolicy: 'auto',
  };
}
