/**
 * A rendered release turned into the manifest renderer's input, and the check of a deploy's objects
 * (`Runtime.checkRelease`). Rendering the release itself with the cluster's addresses is
 * export/kubernetesRelease.ts (a runtime does not import the release renderer); the runtime builds
 * the same input per service when it converges.
 */
import type { AppSpec } from '../../spec/schema.js';
import type { ReleaseToCheck } from '../runtime.js';
import type { ManifestInput, ManifestOptions } from './manifests/contract.js';
import { shapesOf } from './manifests/shapes.js';
import { ManifestMemo } from './manifests/manifestMemo.js';
import { withSpecPositions } from './specPositions.js';

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
