/**
 * Small pieces of a rendered workload, from berth.yaml's service: its volume mounts with their sizes,
 * how it runs (`RunKind`), its ports as the hash sees them, and the hash itself.
 */
import type { AppSpec, ServiceSpec } from '../spec/schema.js';
import { defaultAppProtocol } from '../model/ports.js';
import type { RunKind, Workload } from '../model/workload.js';
import type { VolumeMount } from '../model/volumes.js';
import { ownGet } from '../own.js';
import { canonicalJSON, canonicalObjectJSON } from '../canonical.js';
import { hash as sha } from 'node:crypto';

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

/** Canonical JSON of values a parsed spec owns, by identity (a parsed spec is never changed). */
const specCanonical = new WeakMap<object, string>();

function canonicalOf(v: object, make: () => unknown = () => v): string {
  let c = specCanonical.get(v);
  if (c === undefined) specCanonical.set(v, (c = canonicalJSON(make())));
  return c;
}

/**
 * The first 12 hex digits of `contentHash` of the hashed view, with its ports as `portsAsHashed`
 * gives them: the canonical JSON of the values the view takes from the spec as they are (ports,
 * resources, probes) is made once per parsed spec instead of once per render of every service.
 */
export function workloadHash(svc: ServiceSpec, hashed: Record<string, unknown>): string {
  const text = canonicalObjectJSON(hashed, (k, v) =>
    k === 'ports'
      ? canonicalOf(svc.ports, () => portsAsHashed(svc.ports))
      : v !== null &&
          typeof v === 'object' &&
          (v === svc.resources || v === svc.health.readiness || v === svc.health.liveness)
        ? canonicalOf(v)
        : undefined,
  );
  return sha('sha256', text).slice(0, 12);
}
