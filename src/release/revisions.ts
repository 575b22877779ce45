/**
 * What each operation makes of the running revision: the content of the next one. Rollback, scale,
 * a live policy change, a rolling restart and down are all "revision N+1 = revision K's content
 * with one thing changed"; these builders say which thing, and the engine records and runs the
 * result like any deploy.
 */
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { hasOwnKey } from '../own.js';
import { message, type Message } from '../model/messages.js';
import type { TrafficPolicy } from '../model/routing.js';
import type { LoadedSpec } from '../spec/load.js';
import { specDigest } from '../spec/load.js';
import type { AppSpec } from '../spec/schema.js';
import type { PromotedFrom, ReleaseContent } from './releases.js';
import { ReleaseKind } from '../model/releaseStatus.js';

/** Everything the engine needs to record and start revision N+1. */
export interface NewRevision {
  app: string;
  env: string;
  kind: ReleaseKind;
  spec: AppSpec;
  specDigest: string;
  file: string;
  /** Config version to render with; the current one when undefined. */
  configVersion: number | undefined;
  restarts?: Record<string, string>;
  /** Service → image digest to run (`rendered.images`): carried by every operation but a deploy, which resolves them anew. */
  images?: Record<string, string>;
  /** Service → code snapshot to run (`rendered.codes`): carried like `images`; a deploy snapshots anew. */
  codes?: Record<string, string>;
  author: string;
  /** The author's words, or what Berth says of a revision it makes (`scale web from 2 to 4`). */
  message?: string | Message;
  sourceRevision?: number;
  /** A promotion's source (stored in the release's options). */
  promotedFrom?: PromotedFrom;
  rollbackPolicy: 'auto' | 'none';
  positionOf?: LoadedSpec['positionOf'];
  timeoutMs?: number;
}

/** The running revision's spec file, config version, restart stamps and image digests, carried by every operation on it. */
function carried(
  content: ReleaseContent,
): Pick<NewRevision, 'app' | 'env' | 'file' | 'configVersion' | 'restarts' | 'images' | 'codes'> {
  const { release } = content;
  return {
    app: release.app,
    env: release.env,
    file: release.specFile,
    configVersion: release.configVersion,
    ...(content.rendered.restarts ? { restarts: content.rendered.restarts } : {}),
    ...(content.rendered.images ? { images: content.rendered.images } : {}),
    ...(content.rendered.codes ? { codes: content.rendered.codes } : {}),
  };
}

/** NotFound naming the services there are, when `service` is not one of them. */
export function checkService(content: ReleaseContent, service: string): void {
  // Own keys only: `constructor` or `__proto__` must be "no such service", not Object.prototype's.
  if (!hasOwnKey(content.spec.services, service)) {
    const known = Object.keys(content.spec.services).join(', ');
    throw new NotFoundError(`${content.release.app} has no service ${service} (services: ${known})`);
  }
}

/** Revision `target`'s content again (its config version included); never rolled back in turn. */
export function rollbackRevision(
  target: ReleaseContent,
  req: { author: string; message?: string | undefined },
): NewRevision {
  const t = target.release;
  if (t.kind === ReleaseKind.down)
    throw new ValidationError(`revision ${t.revision} took the app down; choose a revision that deployed it`, [
      { path: 'toRevision', message: `revision ${t.revision} is a down` },
    ]);
  return {
    ...carried(target),
    kind: ReleaseKind.rollback,
    spec: target.spec,
    specDigest: t.specDigest,
    author: req.author,
    message: req.message ?? `rollback to revision ${t.revision}`,
    sourceRevision: t.revision,
    rollbackPolicy: 'none',
  };
}

/** The running revision with one service's replica count changed. */
export function scaleRevision(
  content: ReleaseContent,
  req: { service: string; replicas: number; author: string },
): NewRevision {
  checkService(content, req.service);
  const before = content.spec.services[req.service]!;
  if (before.autoscale) {
    const { min, max } = before.autoscale;
    throw new ConflictError(
      `${content.release.app}/${req.service} is autoscaled (min ${min}, max ${max}): the autoscaler owns its replica count; change autoscale.min and autoscale.max in berth.yaml and deploy`,
      { details: { service: req.service, autoscale: { min, max } } },
    );
  }
  const spec: AppSpec = {
    ...content.spec,
    services: { ...content.spec.services, [req.service]: { ...before, replicas: req.replicas } },
  };
  return {
    ...carried(content),
    kind: ReleaseKind.scale,
    spec,
    specDigest: specDigest(spec),
    author: req.author,
    message: message('revision.scale', { service: req.service, from: before.replicas, to: req.replicas }),
    rollbackPolicy: 'auto',
  };
}

/**
 * Whether scaling changes nothing: the service already has that count in the running revision.
 * Such a scale makes no revision (like `kubectl scale` to the current count).
 */
export function scaleIsNoop(content: ReleaseContent, req: { service: string; replicas: number }): boolean {
  checkService(content, req.service);
  const s = content.spec.services[req.service]!;
  return !s.autoscale && s.replicas === req.replicas;
}

/** Which policy a live change targets: a service's, or one route's (by path and host). */
export type PolicyTarget = { service: string } | { route: { path: string; host?: string | undefined } };

/** The running revision with a service's or a route's traffic policy replaced (`null` removes it). */
export function policyRevision(
  content: ReleaseContent,
  req: { target: PolicyTarget; policy: TrafficPolicy | null; author: string },
): NewRevision {
  const spec: AppSpec = structuredClone(content.spec);
  let what: string;
  if ('service' in req.target) {
    checkService(content, req.target.service);
    const svc = spec.services[req.target.service]!;
    if (req.policy) svc.policy = req.policy;
    else delete svc.policy;
    what = `service ${req.target.service}`;
  } else {
    const { path, host } = req.target.route;
    const route = spec.routes.find((r) => r.path === path && r.host === host);
    if (!route) {
      const known = spec.routes.map((r) => `${r.host ?? ''}${r.path}`).join(', ') || 'none';
      throw new NotFoundError(`${content.release.app} has no route ${host ?? ''}${path} (routes: ${known})`);
    }
    if (req.policy) route.policy = req.policy;
    else delete route.policy;
    what = `route ${host ?? ''}${path}`;
  }
  return {
    ...carried(content),
    kind: ReleaseKind.policy,
    spec,
    specDigest: specDigest(spec),
    author: req.author,
    message: req.policy ? `traffic policy of ${what} changed` : `traffic policy of ${what} removed`,
    rollbackPolicy: 'auto',
  };
}

/**
 * The running revision with a restart stamp for one service or all: like Kubernetes' restartedAt,
 * the stamp is part of the service's hash, so its replicas are replaced one by one.
 */
export function restartRevision(
  content: ReleaseContent,
  req: { service?: string | undefined; author: string },
  at: string,
): NewRevision {
  if (req.service) checkService(content, req.service);
  const services = req.service ? [req.service] : Object.keys(content.spec.services);
  return {
    ...carried(content),
    kind: ReleaseKind.restart,
    spec: content.spec,
    specDigest: content.release.specDigest,
    restarts: { ...content.rendered.restarts, ...Object.fromEntries(services.map((s) => [s, at])) },
    author: req.author,
    message: req.service ? message('revision.restart', { service: req.service }) : message('revision.restartAll'),
    rollbackPolicy: 'auto',
  };
}

/** A revision that runs nothing, keeping the last one's spec so `rollback` can bring it back. */
export function downRevision(last: ReleaseContent, req: { author: string }): NewRevision {
  const { restarts: _dropped, ...rest } = carried(last);
  return {
    ...rest,
    kind: ReleaseKind.down,
    spec: last.spec,
    specDigest: last.release.specDigest,
    author: req.author,
    message: message('revision.down'),
    rollbackPolicy: 'none',
  };
}
