/**
 * The release engine's view of desired state: a revision rendered for its environment's runtime
 * (real secret values, discovery addresses), autoscaled services kept at the count they run at,
 * the stable state a progressive rollout starts from, and a plan against the running revision.
 */
import type { Runtime } from '../runtime/runtime.js';
import type { ServiceState } from '../model/serviceState.js';
import { pinImages, type PinOptions } from './pinImages.js';
import type { AppSpec } from '../spec/schema.js';
import type { ConfigDiffEntry, ResolvedConfig } from '../config/configSets.js';
import { renderRelease, type RenderResult } from './render.js';
import { planContextOf, planRelease } from './plan.js';
import type { Plan } from './planTypes.js';
import type { Release, ReleaseContent } from './releases.js';
import { ReleaseKind } from '../model/releaseStatus.js';
import type { DeployRequest, EngineDeps } from './engineTypes.js';

export interface EngineRenderer {
  render(
    spec: AppSpec,
    file: string,
    env: string,
    configVersion: number | undefined,
    revision: number,
    positionOf?: DeployRequest['loaded']['positionOf'],
    restarts?: Record<string, string>,
    trial?: ResolvedConfig,
    images?: Record<string, string>,
  ): Promise<RenderResult>;
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
   * stable track a progressive rollout starts from. Empty for anything but a deploy (rollbacks,
   * restarts and scales are rolling).
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
  async function renderFor(
    spec: AppSpec,
    file: string,
    env: string,
    configVersion: number | undefined,
    revision: number,
    o: {
      positionOf?: DeployRequest['loaded']['positionOf'];
      restarts?: Record<string, string> | undefined;
      trial?: ResolvedConfig | undefined;
      images?: Record<string, string> | undefined;
      edgeTls?: boolean;
    } = {},
  ): Promise<RenderResult> {
    const { positionOf, restarts, trial } = o;
    const environment = await deps.environments.get(env);
    const version = configVersion ?? (await deps.configSets.current(spec.name, env)).version;
    const config = trial ?? (await deps.configSets.resolve(spec.name, env, version));
    const runtime = await deps.runtimeFor(env);
    const addresses = await runtime.addresses(
      spec.name,
      env,
      Object.entries(spec.services).map(([name, s]) => ({
        name,
        ...(s.ports[0] ? { port: s.ports[0].port } : {}),
        ports: s.ports,
      })),
    );
    return renderRelease({
      spec,
      file,
      ...(positionOf ? { positionOf } : {}),
      environment: { name: env, defaults: environment.defaults, target: environment.target },
      config,
      addresses,
      revision,
      digestSecret: (s) => deps.secretBox.digest(s),
      ...(restarts ? { restarts } : {}),
      ...(o.images ? { images: o.images } : {}),
      // On a cluster the discovery variables live in one `<app>-discovery` ConfigMap (as `berth
      // render` shows them), not in every service's own environment.
      discoveryApart: runtime.kind === 'kubernetes',
      ...(o.edgeTls === false ? { edgeTls: false } : {}),
    });
  }

  const renderer: EngineRenderer = {
    render(spec, file, env, configVersion, revision, positionOf, restarts, trial, images) {
      return renderFor(spec, file, env, configVersion, revision, {
        ...(positionOf ? { positionOf } : {}),
        restarts,
        trial,
        images,
      });
    },

    async pinImages(states, env, opts) {
      return pinImages(await deps.runtimeFor(env), states, opts);
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
      if (release.kind !== ReleaseKind.deploy) return {};
      const good = await releases.lastGood(release.app, release.env, release.revision);
      if (!good || good.kind === ReleaseKind.down) return {};
      // Its states only: its certificate files are not read (they may be gone since, and are not used).
      const content = await releases.content(good.id);
      const result = await renderFor(content.spec, good.specFile, good.env, good.configVersion, good.revision, {
        restarts: content.rendered.restarts,
        images: content.rendered.images,
        edgeTls: false,
      });
      return result.states;
    },

    async renderStored(release) {
      const content = await releases.content(release.id);
      const result = await renderer.render(
        content.spec,
        release.specFile,
        release.env,
        release.configVersion,
        release.revision,
        undefined,
        content.rendered.restarts,
        undefined,
        // The digests it was released with: a rollback, a resume and a resync run exactly those images.
        content.rendered.images,
      );
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
      return planRelease(
        from,
        result.rendered,
        planContextOf([...diff, ...trialChanges], current.specDigest !== specDigest),
      );
    },
  };
  return renderer;
}
