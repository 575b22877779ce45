/**
 * A release rendered for Kubernetes: the spec and config set rendered with the cluster's service
 * addresses (`<svc>.<namespace>.svc.cluster.local`), then turned into the manifest renderer's input.
 * Used by `berth render`, the Helm export, the benchmark and a deploy's check of its objects; the
 * Kubernetes runtime builds the same input per service.
 */
import type { AppSpec } from '../spec/schema.js';
import type { LoadedSpec } from '../spec/load.js';
import type { ResolvedConfig, ConfigSets } from '../config/configSets.js';
import { clusterStorage, type Environment, type Environments } from '../environment/environments.js';
import type { Releases } from './releases.js';
import { ValidationError } from '../errors.js';
import { renderRelease, type RenderResult } from './render.js';
import type { ManifestInput, ManifestOptions } from '../runtime/kubernetes/manifests/contract.js';
import { kubernetesAddresses } from '../runtime/kubernetes/manifests/addresses.js';
import { shapesOf } from '../runtime/kubernetes/manifests/shapes.js';
import type { ServiceRenderMemo } from './serviceMemo.js';
import { ManifestMemo } from '../runtime/kubernetes/manifests/manifestMemo.js';
import { withSpecPositions } from './kubernetesProblems.js';

export interface KubernetesReleaseInput {
  loaded: Pick<LoadedSpec, 'spec' | 'file' | 'positionOf'>;
  environment: { name: string; defaults: Record<string, string> };
  config: ResolvedConfig;
  revision: number;
  digestSecret: (plain: string) => string;
  options: ManifestOptions;
  /** Per-service results of earlier renders to reuse (see `RenderInput.memo`). */
  memo?: ServiceRenderMemo;
}

/** Renders the release with Kubernetes addresses and builds the manifest input (pure). */
export function kubernetesRelease(input: KubernetesReleaseInput): { manifest: ManifestInput; result: RenderResult } {
  const { spec } = input.loaded;
  const addresses = kubernetesAddresses(spec.name, input.options.namespace, spec);
  const result = renderRelease({
    spec,
    file: input.loaded.file,
    ...(input.loaded.positionOf ? { positionOf: input.loaded.positionOf } : {}),
    environment: input.environment,
    config: input.config,
    addresses,
    revision: input.revision,
    digestSecret: input.digestSecret,
    // The manifests share them in one `<app>-discovery` ConfigMap.
    discoveryApart: true,
    ...(input.memo ? { memo: input.memo } : {}),
  });
  return { manifest: { ...manifestInputOf(spec, result, input.revision, input.options), addresses }, result };
}

/** The manifest input of a rendered release (what the engine or runtime passes to `renderManifests`). */
export function manifestInputOf(
  spec: Pick<AppSpec, 'name' | 'services'>,
  result: RenderResult,
  revision: number,
  options: ManifestOptions,
): ManifestInput {
  return {
    app: spec.name,
    env: result.rendered.env,
    revision,
    configVersion: result.rendered.configVersion,
    services: result.states,
    routes: result.rendered.routes,
    // The real edge (with the certificates its Secrets hold) when this render read them.
    ...((result.edge ?? result.rendered.edge)?.ingressTls
      ? { ingressTls: (result.edge ?? result.rendered.edge)!.ingressTls! }
      : {}),
    options,
    shapes: shapesOf(spec),
    secretDigests: Object.fromEntries(
      Object.entries(result.rendered.services).map(([name, s]) => [name, s.secretDigests]),
    ),
  };
}

export interface KubernetesRenderRequest {
  loaded: Pick<LoadedSpec, 'spec' | 'file' | 'positionOf'>;
  env: string;
  /** For an environment that does not target Kubernetes; default: the environment's name. */
  namespace?: string;
  kubernetesVersion?: string;
  ingressClassName?: string;
  configVersion?: number;
  secrets: ManifestOptions['secrets'];
  /** Per-service results of earlier renders to reuse (see `RenderInput.memo`). */
  memo?: ServiceRenderMemo;
  /** The environment as the caller read it already (the render route keys its cache by it). */
  environment?: Environment;
  /** The app's latest revision as the caller read it already (the render is of the next one). */
  latestRevision?: number;
}

/** Loads the environment and config set, picks the namespace, and builds the manifest input. */
export async function prepareKubernetesRender(
  deps: { environments: Environments; configSets: ConfigSets; releases: Releases; digestSecret: (s: string) => string },
  req: KubernetesRenderRequest,
): Promise<{ manifest: ManifestInput; result: RenderResult }> {
  const { spec } = req.loaded;
  const environment = req.environment ?? (await deps.environments.get(req.env));
  let namespace = req.namespace ?? req.env;
  let traffic: Pick<ManifestOptions, 'trafficRouter' | 'gateway'> = {};
  if (environment.target.kind === 'kubernetes') {
    const t = environment.target;
    traffic = {
      ...(t.trafficRouter ? { trafficRouter: t.trafficRouter } : {}),
      ...(t.gateway ? { gateway: t.gateway } : {}),
      ...clusterStorage(t),
    };
    if (req.namespace !== undefined && req.namespace !== environment.target.namespace)
      throw new ValidationError(`environment ${req.env} deploys to namespace ${environment.target.namespace}`, [
        {
          file: 'request body',
          path: 'namespace',
          message: `environment ${req.env} targets namespace ${environment.target.namespace}`,
        },
      ]);
    namespace = environment.target.namespace;
  }
  const version = req.configVersion ?? (await deps.configSets.current(spec.name, req.env)).version;
  const config = await deps.configSets.resolve(spec.name, req.env, version);
  const latest = req.latestRevision ?? (await deps.releases.list(spec.name, req.env, 1))[0]?.revision ?? 0;
  return kubernetesRelease({
    loaded: req.loaded,
    environment: { name: req.env, defaults: environment.defaults },
    config,
    revision: latest + 1,
    digestSecret: deps.digestSecret,
    ...(req.memo ? { memo: req.memo } : {}),
    options: {
      namespace,
      secrets: req.secrets,
      ...(req.kubernetesVersion ? { kubernetesVersion: req.kubernetesVersion } : {}),
      ...(req.ingressClassName ? { ingressClassName: req.ingressClassName } : {}),
      ...traffic,
    },
  });
}

/**
 * Renders the objects a deploy to a Kubernetes environment will apply and checks them against the
 * Kubernetes schemas, as `berth render` does: a value the schemas refuse is a ValidationError at its
 * berth.yaml file:line:col, before any revision is made (the runtime would otherwise fail the
 * release with the object's field only).
 */
export async function checkKubernetesObjects(
  deps: Parameters<typeof prepareKubernetesRender>[0],
  req: {
    loaded: Pick<LoadedSpec, 'spec' | 'file'> & Partial<Pick<LoadedSpec, 'positionOf'>>;
    env: string;
    environment: Environment;
    configVersion?: number | undefined;
  },
): Promise<void> {
  const loaded = { ...req.loaded, positionOf: req.loaded.positionOf ?? (() => undefined) };
  const { manifest } = await prepareKubernetesRender(deps, {
    loaded,
    env: req.env,
    environment: req.environment,
    secrets: 'masked',
    ...(req.configVersion === undefined ? {} : { configVersion: req.configVersion }),
  });
  withSpecPositions(loaded, () => new ManifestMemo().render(manifest));
}
