/**
 * Small pieces of a rendered workload, from berth.yaml's service: its volume mounts with their sizes,
 * how it runs (`RunKind`), and its ports as the hash sees them.
 */
import type { AppSpec, ServiceSpec } from '../spec/schema.js';
import { defaultAppProtocol } from '../model/ports.js';
import type { RunKind, Workload } from '../model/workload.js';
import type { VolumeMount } from '../model/volumes.js';
import { ownGet } from '../own.js';

/** A mount with its volume's size from the app's `volumes`. */
export function volumeMount(m: ServiceSpec['volumes'][number], spec: AppSpec): VolumeMount {
  const size = ownGet(spec.volumes ?? {}, m.volume)?.sizeBytes;
  return { ...m, ...(size === undefined ? {} : { sizeBytes: size }) };
}

/** berth.yaml's `kind`, `stateful` and job fields as the runtime's `RunKind`; undefined for a plain service. */
export function runKindOf(svc: ServiceSpec): RunKind | undefined {
  if (svc.kind === 'job') return { kind: 'job', backoffLimit: svc.backoffLimit ?? 0 };
  if (svc.kind === 'cronjob')
    return {
      kind: 'cronjob',
      schedule: svc.schedule!,
      backoffLimit: svc.backoffLimit ?? 0,
      concurrency: svc.concurrency ?? 'forbid',
    };
  return svc.stateful ? { kind: 'service', stateful: true } : undefined;
}

/**
 * Ports as the hash sees them: a port's default `appProtocol` (http for the first TCP port, tcp for
 * the others) is left out, so services rendered before ports had one keep their hash (and replicas).
 */
export function portsAsHashed(ports: Workload['ports']): object[] {
  return ports.map(({ appProtocol, ...p }, i) =>
    appProtocol === defaultAppProtocol(i, p.protocol) ? p : { ...p, appProtocol },
  );
}
