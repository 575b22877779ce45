/**
 * berth.yaml's named volumes on a cluster: a PersistentVolumeClaim `<app>-<volume>` per volume a
 * replicated service mounts (shared by every replica and service that mounts it), and for a
 * `stateful` service a `volumeClaimTemplates` entry per volume, so each replica has its own claim
 * (`<volume>-<service>-<index>`, e.g. `pgdata-db-0`). Claims are never pruned nor removed with the
 * app (they are not among the kinds Berth lists, kinds.ts): data outlives deploys and `berth down`.
 */
import type { VolumeMount } from '../../../model/volumes.js';
import { LABEL, type KubernetesObject, type ManifestInput } from './contract.js';
import { objectMeta } from './labels.js';
import { memoryQuantity } from './quantities.js';
import { ownGet } from '../../../own.js';

/** A claim's request when berth.yaml gives the volume no `size`. */
export const DEFAULT_VOLUME_BYTES = 2 ** 30;

/** The label naming the berth.yaml volume a claim holds. */
export const VOLUME_LABEL = 'berth.dev/volume';

/** `<app>-<volume>`: the claim of a volume mounted by replicated services. */
export function claimName(app: string, volume: string): string {
  return `${app}-${volume}`;
}

/**
 * The pod volume name of a mount: the volume's own (a DNS label already), which is also its claim
 * template's name, so a stateful replica's claim is `<volume>-<service>-<index>`.
 */
export function podVolumeName(volume: string): string {
  return volume;
}

function claimSpec(input: Pick<ManifestInput, 'options'>, m: VolumeMount): Record<string, unknown> {
  const spec: Record<string, unknown> = { accessModes: ['ReadWriteOnce'] };
  if (input.options.storageClass !== undefined) spec.storageClassName = input.options.storageClass;
  const size = ownGet(input.options.volumeSizes ?? {}, m.volume) ?? m.sizeBytes ?? DEFAULT_VOLUME_BYTES;
  spec.resources = { requests: { storage: memoryQuantity(size) } };
  return spec;
}

/** The PersistentVolumeClaims of the volumes the app's replicated (not stateful) services mount. */
export function persistentVolumeClaims(
  input: ManifestInput,
  stateful: (service: string) => boolean,
): KubernetesObject[] {
  const claims = new Map<string, KubernetesObject>();
  for (const name of Object.keys(input.services).sort()) {
    if (stateful(name)) continue;
    for (const m of input.services[name]!.workload.volumes ?? []) {
      const claim = claimName(input.app, m.volume);
      if (claims.has(claim)) continue;
      const metadata = objectMeta(input, claim, undefined, 'volume');
      metadata.labels[VOLUME_LABEL] = m.volume;
      claims.set(claim, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata, spec: claimSpec(input, m) });
    }
  }
  return [...claims.values()];
}

/** A stateful service's `volumeClaimTemplates`: one claim per volume and replica. */
export function volumeClaimTemplates(
  input: ManifestInput,
  service: string,
  mounts: readonly VolumeMount[],
): Record<string, unknown>[] {
  return mounts.map((m) => ({
    metadata: {
      name: podVolumeName(m.volume),
      // Only labels that never change: a StatefulSet's claim templates are immutable.
      labels: {
        [LABEL.name]: service,
        [LABEL.partOf]: input.app,
        [LABEL.managedBy]: 'berth',
        [LABEL.env]: input.env,
        [VOLUME_LABEL]: m.volume,
      },
    },
    spec: claimSpec(input, m),
  }));
}

/** The container's volumeMounts of berth.yaml's mounts. */
export function volumeMounts(mounts: readonly VolumeMount[]): Record<string, unknown>[] {
  return mounts.map((m) => ({ name: podVolumeName(m.volume), mountPath: m.path, readOnly: m.readOnly }));
}

/** The pod's volumes of a replicated service's mounts: each its app-wide claim. */
export function claimVolumes(app: string, mounts: readonly VolumeMount[]): Record<string, unknown>[] {
  return mounts.map((m) => ({
    name: podVolumeName(m.volume),
    persistentVolumeClaim: { claimName: claimName(app, m.volume), ...(m.readOnly ? { readOnly: true } : {}) },
  }));
}
