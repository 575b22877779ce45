/**
 * The release engine's view of desired state: a revision rendered for its environment's runtime
 * (real secret values, discovery addresses), autoscaled services kept at the count they run at,
 * the stable state a progressive rollout starts from, and a plan against the running revision.
 */
import type { Runtime } from '../runtime/runtime.js';
import type { ServiceState } from '../model/serviceState.js';
import { pinImages, type PinOptions } from './pinImages.js';
import { codeChangesOf, pinCode, type CodePinOptions } from './pinCode.js';
import type { AppSpec } from '../spec/schema.js';
import type { ConfigDiffEntry, ResolvedConfig } from '../config/configSets.js';
import { renderRelease, type RenderResult } from './render.js';
import { planContextOf, planRelease } from './plan.js';
import type { Plan } from './planTypes.js';
import type { Release, ReleaseContent } from './releases.js';
import { ReleaseKind } from '../model/releaseStatus.js';
import type { DeployRequest, EngineDeps } from './engine/engineTypes.js';
import type { LoadedSpec } from '../spec/load.js';
import { readRenderSources } from './renderSources.js';

/** What the engine renders: a spec as revision `revision` of an app in `env`. */
export interface EngineRenderRequest {
  spec: AppSpec;
  file: string;
  env: string;
  /** The config version; the current one when omitted. */
  configVersion?: number | undefined;
  revision: number;
  positionOf?: DeployRequest['loaded']['positionOf'];
  restarts?: Record<string, string> | undefined;
  /** A config set not stored yet (a plan's preview of a change), rendered instead of any version. */
  trial?: ResolvedConfig | undefined;
  /** Service → image digest the revision runs (`rendered.images`). */
  images?: Record<string, string> | undefined;
  /** Service → code snapshot the revision runs (`rendered.codes`); its tree is made again if missing. */
  codes?: Record<string, string> | undefined;
  /**
   * False for a plan: the runtime's addresses are read and none is allocated, so a service that has
   * none yet sees `(allocated at deploy)` in the others' discovery variables. Default true.
   */
  allocate?: boolean;
}

export interface EngineRenderer {
  render(req: EngineRenderRequest): Promise<RenderResult>;
  /**
   * Lets the environment's runtime check what a deploy of `loaded` would make (`Runtime.checkRelease`,
   * a cluster's schemas) before a revision is made; nothing to do for a runtime that checks nothing.
   */
  check(
    loaded: Pick<LoadedSpec, 'spec' | 'file'> & Partial<Pick<LoadedSpec, 'positionOf'>>,
    env: string,
    configVersion: number | undefined,
  ): Promise<void>;
  /**
   * The digests of the images of `states`' container workloads (service → digest), from the
   * environment's runtime (pinImages.ts); undefined when none runs as a container or the runtime
   * resolves no images.
   */
  pinImages(
    states: Record<string, ServiceState>,
    env: string,
    opts: PinOptions,
  ): Promise<Record<string, string> | undefined>;
  /**
   * The code snapshots of `states`' process services with a `cwd` in an environment on this machine
   * (service → digest; pinCode.ts); undefined when there are none or the engine keeps no artifacts.
   */
  pinCode(
    states: Record<string, ServiceState>,
    loaded: { spec: AppSpec; file: string },
    env: string,
    opts: CodePinOptions,
  ): Promise<Record<string, string> | undefined>;
  /**
   * Keeps autoscaled services at the count they run at: the autoscaler's, else what the runtime
   * runs now (after a control-plane restart the autoscaler knows nothing yet), within the spec's
   * min and max. Services without `autoscale` keep berth.yaml's `replicas`.
   */
  keepAutoscaled(
    spec: AppSpec,
    env: string,
    states: Record<string, ServiceState>,
    runtime: Runtime,
  ): Promise<Record<string, ServiceState>>;
  /**
   * What runs now for each service, as the last good revision before `release` rendered it: the
   * stable track a progressive rollout starts from. Empty for anything but a deploy or a promotion
   * (rollbacks, restarts and scales are rolling).
   */
  stableStates(release: Release): Promise<Record<string, ServiceState>>;
  /** A stored release rendered again as it was released (its spec, config version and restarts), with its content. */
  renderStored(release: Release): Promise<{ content: ReleaseContent; result: RenderResult }>;
  planAgainst(
    current: Release | undefined,
    spec: AppSpec,
    specDigest: string,
    result: RenderResult,
    trialChanges?: ConfigDiffEntry[],
  ): Promise<Plan>;
}

export function createEngineRenderer(deps: EngineDeps): EngineRenderer {
  const { releases } = deps;

  /** `render`; with `edgeTls: false` for a render whose states only are used (no certificate file is read). */
  async function renderFor(req: EngineRenderRequest & { edgeTls?: boolean }): Promise<RenderResult> {
    const { spec, env } = req;
    const { environment, config, revision } = await readRenderSources(deps, {
      app: spec.name,
      env,
      configVersion: req.configVersion,
      trial: req.trial,
      revision: req.revision,
    });
    const runtime = await deps.runtimeFor(env);
    const endpoints = Object.entries(spec.services).map(([name, s]) => ({
      name,
      ...(s.ports[0] ? { port: s.ports[0].port } : {}),
      ports: s.ports,
    }));
    const allocate = req.allocate !== false;
    const addresses = await runtime.addresses(spec.name, env, endpoints, { allocate });
    // What a plan cannot know yet: the addresses the deploy will allocate.
    const unallocated = allocate ? [] : endpoints.filter((e) => !Object.hasOwn(addresses, e.name)).map((e) => e.name);
    const store = deps.codeStore;
    // A revision's snapshots get their trees back if they went missing (removed by hand, a restored home).
    if (store && req.codes && allocate) for (const d of new Set(Object.values(req.codes))) await store.materialize(d);
    return renderRelease({
      spec,
      file: req.file,
      ...(req.positionOf ? { positionOf: req.positionOf } : {}),
      environment: { name: env, defaults: environment.defaults, target: environment.target },
      config,
      addresses,
      ...(unallocated.length > 0 ? { unallocated } : {}),
      revision,
      digestSecret: (s) => deps.secretBox.digest(s),
      ...(req.restarts ? { restarts: req.restarts } : {}),
      ...(req.images ? { images: req.images } : {}),
      ...(req.codes && store ? { codes: { digests: req.codes, treeOf: (d: string) => store.treeOf(d) } } : {}),
      // On a cluster the discovery variables live in one `<app>-discovery` ConfigMap (as `berth
      // render` shows them), not in every service's own environment.
      discoveryApart: runtime.sharesDiscovery === true,
      ...(req.edgeTls === false ? { edgeTls: false } : {}),
    });
  }

  const renderer: EngineRenderer = {
    render: (req) => renderFor(req),

    async check(loaded, env, configVersion) {
      const runtime = await deps.runtimeFor(env);
      if (!runtime.checkRelease) return;
      const [latest] = await releases.list(loaded.spec.name, env, 1);
      const revision = (latest?.revision ?? 0) + 1;
      const positionOf = loaded.positionOf ?? (() => undefined);
      const result = await renderFor({
        spec: loaded.spec,
        file: loaded.file,
        env,
        configVersion,
        revision,
        positionOf,
        allocate: false,
      });
      await runtime.checkRelease({ loaded: { ...loaded, positionOf }, revision, result });
    },

    async pinImages(states, env, opts) {
      return pinImages(await deps.runtimeFor(env), states, opts);
    },

    async pinCode(states, loaded, env, opts) {
      if (!deps.codeStore) return undefined;
      const environment = await deps.environments.get(env);
      if (environment.target.kind !== 'local') return undefined;
      return pinCode(deps.codeStore, states, loaded.spec, loaded.file, opts);
    },

    async keepAutoscaled(spec, env, states, runtime) {
      const scaled = Object.keys(states).filter((n) => spec.services[n]?.autoscale);
      if (scaled.length === 0) return states;
      const observed = await runtime.observe(spec.name, env).catch(() => undefined);
      const out = { ...states };
      for (const n of scaled) {
        const a = spec.services[n]!.autoscale!;
        const live =
          deps.autoscaledReplicas?.(spec.name, env, n, 'stable') ??
          observed?.services.find((s) => s.service === n)?.desiredReplicas;
        if (live !== undefined && live > 0)
          out[n] = { ...states[n]!, replicas: Math.min(a.max, Math.max(a.min, live)) };
      }
      return out;
    },

    async stableStates(release) {
      // A promotion brings new code as a deploy does: its progressive services roll out by their strategy.
      if (release.kind !== ReleaseKind.deploy && release.kind !== ReleaseKind.promotion) return {};
      const good = await releases.lastGood(release.app, release.env, release.revision);
      if (!good || good.kind === ReleaseKind.down) return {};
      // Its states only: its certificate files are not read (they may be gone since, and are not used).
      const content = await releases.content(good.id);
      const result = await renderFor({
        spec: content.spec,
        file: good.specFile,
        env: good.env,
        configVersion: good.configVersion,
        revision: good.revision,
        restarts: content.rendered.restarts,
        images: content.rendered.images,
        codes: content.rendered.codes,
        edgeTls: false,
      });
      return result.states;
    },

    async renderStored(release) {
      const content = await releases.content(release.id);
      const result = await renderFor({
        spec: content.spec,
        file: release.specFile,
        env: release.env,
        configVersion: release.configVersion,
        revision: release.revision,
        restarts: content.rendered.restarts,
        // The digests it was released with: a rollback, a resume and a resync run exactly those images.
        images: content.rendered.images,
        codes: content.rendered.codes,
      });
      return { content, result };
    },

    async planAgainst(current, spec, specDigest, result, trialChanges = []) {
      if (!current) return planRelease(undefined, result.rendered, planContextOf(trialChanges, true));
      const content = await releases.content(current.id);
      const from = current.kind === ReleaseKind.down ? undefined : content.rendered;
      // A trial version does not exist yet: the stored part of the difference ends at the latest.
      const to = trialChanges.length > 0 ? result.rendered.configVersion - 1 : result.rendered.configVersion;
      const diff = await deps.configSets.diff(spec.name, result.rendered.env, current.configVersion, to);
      // One naming of the config causes for plan and diff (`planContextOf`).
      const codeChanges = await codeChangesOf(deps.codeStore, from, result.rendered);
      return planRelease(from, result.rendered, {
        ...planContextOf([...diff, ...trialChanges], current.specDigest !== specDigest),
        ...(codeChanges ? { codeChanges } : {}),
      });
    },
  };
  return renderer;
}
