/**
 * Render preparation, once for every render of a release: what a render of an app in an environment
 * reads from the store before it renders — the environment, the config set at a version (the
 * current one when none is asked for, or a trial version a plan previews), and the revision it is
 * rendered as (the next one when none is given). The engine (engineRender.ts), the render route and
 * the Helm export (server/renderService.ts) read through it; `berth render --offline` has no store and
 * gives the same three itself.
 */
import type { ConfigSets, ResolvedConfig } from '../config/configSets.js';
import type { Environment, Environments } from '../environment/environments.js';
import type { Releases } from './releases.js';

export interface RenderSourceStores {
  environments: Pick<Environments, 'get'>;
  configSets: Pick<ConfigSets, 'current' | 'resolve'>;
  releases: Pick<Releases, 'list'>;
}

export interface RenderSourceRequest {
  app: string;
  env: string;
  /** The environment as the caller read it already (the render route keys its cache by it). */
  environment?: Environment | undefined;
  /** The config version to render; the current one when omitted. */
  configVersion?: number | undefined;
  /** A config set not stored yet (a plan's preview of a change): rendered instead of any version. */
  trial?: ResolvedConfig | undefined;
  /** The revision rendered; the one after the app's latest when omitted. */
  revision?: number | undefined;
  /** The app's latest revision as the caller read it already (used when `revision` is omitted). */
  latestRevision?: number | undefined;
}

export interface RenderSources {
  environment: Environment;
  config: ResolvedConfig;
  revision: number;
}

/** Reads what a render of `req.app` in `req.env` is made from (see the file's comment). */
export async function readRenderSources(deps: RenderSourceStores, req: RenderSourceRequest): Promise<RenderSources> {
  const environment = req.environment ?? (await deps.environments.get(req.env));
  const config =
    req.trial ??
    (await deps.configSets.resolve(
      req.app,
      req.env,
      req.configVersion ?? (await deps.configSets.current(req.app, req.env)).version,
    ));
  const revision =
    req.revision ?? (req.latestRevision ?? (await deps.releases.list(req.app, req.env, 1))[0]?.revision ?? 0) + 1;
  return { environment, config, revision };
}
