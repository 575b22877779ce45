/**
 * Promotion between environments (`berth promote APP --from test --to staging`, `POST
 * /api/v1/promotions`, the pipelines' promote step): the exact spec, image digests and code snapshots
 * of the source environment's running revision, deployed to the target with the target's own config.
 *
 * `promote(deps, req)` is the in-process entry the pipelines call with a PromotionRequest;
 * `previewPromotion(deps, req)` is what is shown before one runs: the config difference of the app
 * between the two environments (secrets by digest, never shown) and the plan of what changes in `to`.
 */
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { PromotionRequest } from '../model/delivery.js';
import { ReleaseKind } from '../model/releaseStatus.js';
import type { AppConfigDiff } from '../config/configCompare.js';
import type { ConfigSets } from '../config/configSets.js';
import type { Environments } from '../environment/environments.js';
import { isProtected, requireAuthorized, type ProtectionGate } from '../environment/protection.js';
import type { OperationOptions, ReleaseEngine } from './engine/engineTypes.js';
import type { Plan } from './planTypes.js';
import type { Release, ReleaseContent, Releases } from './releases.js';

/** What a promotion needs of the control plane. */
export interface PromoteDeps {
  engine: Pick<ReleaseEngine, 'promotion' | 'planPromotion'>;
  releases: Pick<Releases, 'current' | 'list' | 'content' | 'apps'>;
  environments: Pick<Environments, 'get'>;
  configSets: Pick<ConfigSets, 'compareEnvironments'>;
  /** Who may promote into a protected environment; the explicit confirmation when absent (protection.ts). */
  gate?: ProtectionGate;
}

/**
 * What the API and the CLI may add to a PromotionRequest: the source revision and the target's config
 * version a preview showed, so what runs is what was shown (refused when `from` has moved on since).
 */
export interface PromotionPins {
  /** FROM's revision to promote: refused (409) unless it is still FROM's current succeeded one. */
  revision?: number | undefined;
  /** TO's config version to render with; TO's current one when omitted. */
  configVersion?: number | undefined;
}

/** A started promotion: the new revision in `to`. */
export interface PromotionResult {
  releaseId: number;
  revision: number;
  release: Release;
  /** The revision of `from` whose content it runs. */
  source: { env: string; revision: number };
}

/** What a promotion would do, shown before it runs. */
export interface PromotionPreview {
  app: string;
  from: string;
  to: string;
  /** The source revision (the app's current succeeded one in `from`). */
  source: Release;
  /** What runs in `to` now, if anything. */
  current?: Release;
  /** Whether `to` is protected: the promotion then needs `confirmed`. */
  protected: boolean;
  /** The app's config difference from `from` to `to` (secrets compared by digest, never shown). */
  config: AppConfigDiff;
  /** What changes in `to`, service by service. */
  plan: Plan;
}

/** Checks the request and finds the source revision's content: refusals name what is wrong. */
async function sourceOf(
  deps: PromoteDeps,
  req: Pick<PromotionRequest, 'app' | 'from' | 'to'> & PromotionPins,
): Promise<ReleaseContent> {
  const { app, from, to } = req;
  if (from === to)
    throw new ValidationError(`cannot promote ${app} from ${from} to itself`, [
      { file: 'request body', path: 'to', message: `must name another environment than ${from}` },
    ]);
  await deps.environments.get(from);
  await deps.environments.get(to);
  const known = (await deps.releases.apps()).filter((a) => a.app === app).map((a) => a.env);
  if (known.length === 0) throw new NotFoundError(`app ${app} is unknown: it was never deployed to any environment`);
  if (!known.includes(from))
    throw new NotFoundError(`${app} has never been deployed to ${from} (it has releases in ${known.join(', ')})`);
  const current = await deps.releases.current(app, from);
  if (!current)
    throw new ConflictError(`nothing of ${app} succeeded in ${from}: there is no revision to promote`, {
      details: { app, env: from },
    });
  if (current.kind === ReleaseKind.down)
    throw new ConflictError(`${app} is down in ${from} (revision ${current.revision}): there is nothing to promote`, {
      details: { app, env: from, revision: current.revision },
    });
  if (req.revision !== undefined && req.revision !== current.revision)
    throw new ConflictError(
      `${app}'s running revision in ${from} is now ${current.revision}, not ${req.revision}: look at the promotion again`,
      { details: { app, env: from, revision: current.revision, asked: req.revision } },
    );
  return deps.releases.content(current.id);
}

/** Renders and plans `source` in `to`; a variable the spec needs that `to` lacks is refused naming it and `to`. */
async function planIn(
  deps: PromoteDeps,
  source: ReleaseContent,
  to: string,
  configVersion: number | undefined,
): Promise<Awaited<ReturnType<ReleaseEngine['planPromotion']>>> {
  try {
    return await deps.engine.planPromotion({
      source,
      to,
      ...(configVersion === undefined ? {} : { configVersion }),
    });
  } catch (err) {
    throw inTarget(err, source, to);
  }
}

/** A render error of the source's spec in `to` (a missing variable), said to be the target's. */
function inTarget(err: unknown, source: ReleaseContent, to: string): unknown {
  if (!(err instanceof ValidationError)) return err;
  const s = source.release;
  const what = err.problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
  return new ValidationError(
    `${s.app} cannot be promoted from ${s.env}@${s.revision} to ${to}: ${err.message}${what ? ` (${what})` : ''}; set what is missing in ${to} (berth config set ${s.app} KEY=VALUE --env ${to}) and promote again`,
    err.problems,
  );
}

/** The config difference and the plan of promoting `app` from `from` to `to`; nothing is written. */
export async function previewPromotion(
  deps: PromoteDeps,
  req: Pick<PromotionRequest, 'app' | 'from' | 'to'>,
): Promise<PromotionPreview> {
  const source = await sourceOf(deps, req);
  const target = await deps.environments.get(req.to);
  const [config] = await deps.configSets.compareEnvironments(req.from, req.to, [req.app]);
  const { plan, current } = await planIn(deps, source, req.to, undefined);
  return {
    app: req.app,
    from: req.from,
    to: req.to,
    source: source.release,
    ...(current ? { current } : {}),
    protected: isProtected(target),
    config: config!,
    plan,
  };
}

/**
 * Promotes `req.app` from `req.from` to `req.to`: revision N+1 in `to` (kind `promotion`, its origin in
 * `options.promotedFrom`) with the source revision's spec, image digests and code snapshots and `to`'s
 * config. A protected `to` needs `req.confirmed` (or, later, the gate's approval). Resolves once the
 * revision is recorded and started (the engine runs it; wait on it with `engine.wait(releaseId)`).
 */
export async function promote(
  deps: PromoteDeps,
  req: PromotionRequest & PromotionPins & OperationOptions,
): Promise<PromotionResult> {
  const source = await sourceOf(deps, req);
  await requireAuthorized(
    deps.environments,
    { env: req.to, app: req.app, action: 'promote', author: req.author, confirmed: req.confirmed },
    deps.gate,
  );
  // Rendered once first: a variable missing in `to` is refused before any revision is made.
  await planIn(deps, source, req.to, req.configVersion);
  const release = await deps.engine.promotion({
    source,
    to: req.to,
    author: req.author,
    ...(req.configVersion === undefined ? {} : { configVersion: req.configVersion }),
    ...(req.message === undefined ? {} : { message: req.message }),
    ...(req.wait === undefined ? {} : { wait: req.wait }),
    ...(req.signal === undefined ? {} : { signal: req.signal }),
  });
  return {
    releaseId: release.id,
    revision: release.revision,
    release,
    source: { env: source.release.env, revision: source.release.revision },
  };
}
