/**
 * A release rendered for Kubernetes: the spec and config set rendered with the cluster's service
 * addresses (`<svc>.<namespace>.svc.cluster.local`), then turned into the manifest renderer's input.
 * Used by `berth render` (the control plane's and `--offline`), the Helm export, the benchmark and the
 * runtime's check of a deploy's objects (`Runtime.checkRelease`); the runtime builds the same input
 * per service when it converges.
 */
import type { AppSpec } from '../../spec/schema.js';
import type { LoadedSpec } from '../../spec/load.js';
import type { ResolvedConfig } from '../../config/configSets.js';
import { renderRelease, type RenderResult } from '../../release/render.js';
import type { ReleaseToCheck } from '../runtime.js';
import type { ManifestInput, ManifestOptions } from './manifests/contract.js';
import { kubernetesAddresses } from './manifests/addresses.js';
import { shapesOf } from './manifests/shapes.js';
import type { ServiceRenderMemo } from '../../release/serviceMemo.js';
import { ManifestMemo } from './manifests/manifestMemo.js';
import { withSpecPositions } from './specPositions.js';

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

/** The manifest input of a rendered release (what the runtime, `berth render` or the export pass to `renderManifests`). */
export function manifestInputOf(
  spec: Pick<AppSpec, 'name' | 'services'>,
  result: ReleaseToCheck['result'],
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

/**
 * Renders the objects a deploy of `release` will apply and checks them against the Kubernetes
 * schemas, as `berth render` does: a value the schemas refuse is a ValidationError at its berth.yaml
 * file:line:col, before any revision is made (applying it would fail the release with the object's
 * field only). Secrets are masked: nothing is applied.
 */
export function checkReleaseObjects(release: ReleaseToCheck, options: ManifestOptions): void {
  const manifest = manifestInputOf(release.loaded.spec, release.result, release.revision, {
    ...options,
    secrets: 'masked',
  });
  withSpecPositions(release.loaded, () => new ManifestMemo().render(manifest));
}
