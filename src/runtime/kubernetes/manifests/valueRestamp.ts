/**
 * A service whose config values changed but nothing else (a config change every service reads): its
 * ConfigMap and Secret carry the new values, and every other object of it (Service, Deployment or
 * StatefulSet, autoscaler, disruption budget) is the last render's but for four release values —
 * the revision and config version stamped on each object, the workload's hash and its pods' config
 * checksum. Those objects are restamped along the paths where they hold these values, and their
 * documents recut, instead of being built, compared with the last ones and printed again.
 *
 * Which objects read a workload's values: only the service's config (serviceConfig.ts: the env values
 * and file contents go to the ConfigMap's or Secret's data, the checksum to the pod template); the
 * pods reference them by key. So two workloads with the same shell (everything but those values, and
 * whether each env value is a shared discovery value, which decides where it lives) render the same
 * objects but for the config's and those four values. A service whose objects read more (a canary
 * track, a Job named by a digest of its pod template, per-replica files, discovery in its own env) is
 * built as before.
 */
import type { ServiceState } from '../../../model/serviceState.js';
import type { Workload } from '../../../model/workload.js';
import { ANNOTATION, type KubernetesObject, type ServiceShape } from './contract.js';
import { objectToYaml, recut, RELEASE_KEYS, RELEASE_VALUE, type CutDocument } from './toYaml.js';
import { sameButReleaseValues } from './sameObject.js';

/** Which release value a path holds: revision, config version, workload hash, config checksum. */
export type ReleaseRole = 0 | 1 | 2 | 3;

/**
 * Where an object holds its release values: `plan` is a tree of the keys down to each (a leaf is the
 * value's role), `roles` their roles in the order the emitter prints (and cuts) them.
 */
export interface ReleaseStamps {
  plan: StampPlan;
  roles: ReleaseRole[];
}

/** Keys down to release values; a leaf is which one the key holds. */
export interface StampPlan {
  [key: string]: StampPlan | ReleaseRole;
}

const ROLE_OF: Record<string, ReleaseRole> = {
  [ANNOTATION.revision]: 0,
  [ANNOTATION.configVersion]: 1,
  [ANNOTATION.hash]: 2,
  [ANNOTATION.configChecksum]: 3,
};

/**
 * Where `obj` holds its release values, each checked to hold its role's value in `values`; undefined
 * when one holds anything else (it cannot be restamped). Mirrors the emitter as sameObject.ts does:
 * keys in order, plain objects and arrays only.
 */
export function releaseStamps(obj: KubernetesObject, values: readonly string[]): ReleaseStamps | undefined {
  const roles: ReleaseRole[] = [];
  const walk = (v: unknown): StampPlan | undefined | false => {
    if (v === null || typeof v !== 'object') return undefined;
    const proto = Object.getPrototypeOf(v) as unknown;
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return false;
    let plan: StampPlan | undefined;
    for (const [k, x] of Object.entries(v)) {
      if (!Array.isArray(v) && RELEASE_KEYS.has(k) && typeof x === 'string' && RELEASE_VALUE.test(x)) {
        const role = ROLE_OF[k];
        if (role === undefined || values[role] !== x) return false;
        roles.push(role);
        (plan ??= {})[k] = role;
        continue;
      }
      const below = walk(x);
      if (below === false) return false;
      if (below) (plan ??= {})[k] = below;
    }
    return plan;
  };
  const plan = walk(obj);
  return plan === false ? undefined : { plan: plan ?? {}, roles };
}

/** `obj` with the value at each leaf of `plan` set to its role's in `values`: copies along the plan only. */
export function restampObject(obj: KubernetesObject, plan: StampPlan, values: readonly string[]): KubernetesObject {
  return restampWith(obj, plan, values) as KubernetesObject;
}

function restampWith(node: unknown, plan: StampPlan, values: readonly string[]): unknown {
  const copy = (Array.isArray(node) ? [...node] : { ...(node as object) }) as Record<string, unknown>;
  for (const k in plan) {
    const p = plan[k]!;
    copy[k] = typeof p === 'number' ? values[p] : restampWith((node as Record<string, unknown>)[k], p, values);
  }
  return copy;
}

/**
 * Whether `a` and `b` are the same workload but for their env values and file contents (see the
 * top): every other field equal as the emitter would print it (keys in the same order), the same env
 * keys with the same of them equal to a shared discovery value, the same files but their content.
 */
export function sameShell(a: Workload, b: Workload, discovery: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  return sameKeys(a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>, (k) => {
    if (k === 'env') return sameEnvShell(a.env, b.env, discovery);
    if (k !== 'files') return sameData(a[k as keyof Workload], b[k as keyof Workload]);
    if (a.files.length !== b.files.length) return false;
    for (let j = 0; j < a.files.length; j++) {
      const { content: _a, ...x } = a.files[j]!;
      const { content: _b, ...y } = b.files[j]!;
      if (x.perReplica || y.perReplica || !sameData(x, y)) return false;
    }
    return true;
  });
}

function sameEnvShell(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
  discovery: Readonly<Record<string, string>>,
): boolean {
  return sameKeys(a, b, (k) => !Object.hasOwn(discovery, k) || (discovery[k] === a[k]) === (discovery[k] === b[k]));
}

/** Whether two records have the same keys in the same order (as they print) and `each` holds for every key. */
function sameKeys(
  x: Readonly<Record<string, unknown>>,
  y: Readonly<Record<string, unknown>>,
  each: (k: string) => boolean,
): boolean {
  const keys = Object.keys(x);
  const other = Object.keys(y);
  if (keys.length !== other.length) return false;
  for (let i = 0; i < keys.length; i++) if (other[i] !== keys[i] || !each(keys[i]!)) return false;
  return true;
}

/** Whether two JSON-shaped values are equal, object keys in the same order (as they print). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return sameKeys(x, y, (k) => sameData(x[k], y[k]));
}

/**
 * Whether a service's inputs besides its workload (`keyParts` of manifestMemo.ts: name/value pairs of
 * its state, then its shape and secret digests) are the same but for its hash, which is restamped.
 */
export function samePartsButHash(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 'hash' && b[i] === 'hash' && i % 2 === 0 && i + 1 < a.length) {
      i++;
      continue;
    }
    if (!sameData(a[i], b[i])) return false;
  }
  return true;
}

/** Whether a service's objects can be restamped when only its values change (see the top). */
export function shellRestampable(
  state: ServiceState,
  shape: ServiceShape,
  tracked: boolean,
  sharedDiscovery: boolean,
): boolean {
  return (
    // A Job's name is a digest of its pod template; a CronJob's runs are not rolled by a checksum.
    shape.kind === 'service' &&
    !tracked &&
    state.canary === undefined &&
    (state.discovery === undefined || sharedDiscovery) &&
    !state.workload.files.some((f) => f.perReplica)
  );
}

/**
 * The document of ConfigMap `now` from `prev`'s (`d`) when only its data values and release values
 * differ: `prev`'s document up to its `data:` (apiVersion, kind, metadata), recut with `now`'s release
 * values, then `now`'s data printed alone (a top-level key prints the same on its own). Its schema
 * verdict is `prev`'s: the schemas take any string as a ConfigMap's data value. Undefined otherwise.
 */
export function configMapRecut(prev: KubernetesObject, d: CutDocument, now: KubernetesObject): CutDocument | undefined {
  if (prev.kind !== 'ConfigMap' || now.kind !== 'ConfigMap' || prev.apiVersion !== now.apiVersion) return undefined;
  const keys = Object.keys(now);
  const before = Object.keys(prev);
  if (keys.length !== 4 || before.length !== 4 || keys[3] !== 'data' || before[3] !== 'data') return undefined;
  if (keys[0] !== before[0] || keys[1] !== before[1] || keys[2] !== 'metadata' || before[2] !== 'metadata')
    return undefined;
  if (!sameDataKeys(prev.data, now.data)) return undefined;
  const values: string[] = [];
  if (!sameButReleaseValues(prev.metadata, now.metadata, values)) return undefined;
  const at = d.doc.indexOf('\ndata:');
  const cuts = d.cuts ?? [];
  if (at < 0 || values.length * 2 !== cuts.length || cuts.some((c) => c > at)) return undefined;
  const head = recut({ doc: d.doc.slice(0, at + 1), cuts, stamps: d.stamps }, values);
  return { doc: head.doc + objectToYaml({ data: now.data }), cuts: head.cuts, stamps: head.stamps };
}

/** Whether two ConfigMaps' data have the same keys in the same order, every value a string. */
function sameDataKeys(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return sameKeys(x, y, (k) => typeof x[k] === 'string' && typeof y[k] === 'string');
}
