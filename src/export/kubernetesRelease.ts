/**
 * A release rendered for Kubernetes: the spec and config set rendered with the cluster's service
 * addresses (`<svc>.<namespace>.svc.cluster.local`), then turned into the manifest renderer's input.
 * Used by `berth render` (the control plane's and `--offline`), the Helm export and the benchmark.
 * It lives here, above both, because it joins the release renderer and the Kubernetes manifests:
 * the runtime only turns an already rendered release into objects (runtime/kubernetes/releaseRender.ts).
 */
import type { LoadedSpec } from '../spec/load.js';
import type { ResolvedConfig } from '../config/configSets.js';
import { renderRelease, type RenderResult } from '../release/render.js';
import type { ServiceRenderMemo } from '../release/serviceMemo.js';
import type { ManifestInput, ManifestOptions } from '../runtime/kubernetes/manifests/contract.js';
import { kubernetesAddresses } from '../runtime/kubernetes/manifests/addresses.js';
import { manifestInputOf } from '../runtime/kubernetes/releaseRender.js';

export interface KubernetesReleaseInput {
  loaded: Pick<LoadedSpec, 'spec' | 'file' | 'positionOf'>;
  environment: { name: string; defaults: Record<string, string> };
  config: ResolvedConfig;
  revision: number;
  digestSecret: (plain: string) => string;
  options: ManifestOptions;
  /** Service → its image's digest (a build's, see `RenderInput.images`). */
  images?: Record<string, string>;
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
    ...(input.images ? { images: input.images } : {}),
    ...(input.memo ? { memo: input.memo } : {}),
  });
  return { manifest: { ...manifestInputOf(spec, result, input.revision, input.options), addresses }, result };
}
