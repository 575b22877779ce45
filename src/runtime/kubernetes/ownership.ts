/**
 * Two apps (or two environments of one app) in one namespace: Berth keeps the short names (`web`,
 * `db`: a compose-imported app reaches its database as host `db`), so a name can only belong to one
 * of them. An object Berth would apply whose name is taken by another app's or environment's object
 * (its `app.kubernetes.io/part-of` / `berth.dev/env` labels, managed by Berth) is refused with the
 * owner's name, before anything of the release is applied: server-side apply with the same field
 * manager would otherwise silently take the object over, and both apps would report success.
 */
import { ConflictError } from '../../errors.js';
import { LABEL, type KubernetesObject } from './manifests/contract.js';
import { discoveryConfigMapName } from './manifests/discovery.js';
import { headlessServiceName } from './manifests/service.js';
import { trackServiceName } from './manifests/tracks.js';

/** The app and environment an object of Berth's belongs to, from its labels. */
export interface Owner {
  app: string;
  env: string;
}

export function ownerOf(o: KubernetesObject): Owner {
  const l = o.metadata.labels ?? {};
  return { app: l[LABEL.partOf] ?? '?', env: l[LABEL.env] ?? '?' };
}

/** An object this release would apply, and the other app's object of the same kind and name. */
export interface Collision {
  object: string;
  owner: Owner;
}

const idOf = (o: { apiVersion: string; kind: string; metadata: { name: string } }): string =>
  `${o.apiVersion}|${o.kind}|${o.metadata.name}`;

/** The objects of `wanted` that `others` (objects of other apps or environments) hold already. */
export function collisionsWith(wanted: readonly KubernetesObject[], others: readonly KubernetesObject[]): Collision[] {
  const taken = new Map(others.map((o) => [idOf(o), o]));
  const out: Collision[] = [];
  for (const w of wanted) {
    const o = taken.get(idOf(w));
    if (o) out.push({ object: `${w.kind}/${w.metadata.name}`, owner: ownerOf(o) });
  }
  return out;
}

/**
 * The names an app's services will take, before anything is rendered (the release's first step asks
 * for the services' addresses): each service's Services, workload, config and its track names, and
 * the app's discovery ConfigMap and Ingress. Other apps' objects with one of these names collide.
 */
export function namesOf(app: string, services: readonly string[]): Set<string> {
  const names = new Set([discoveryConfigMapName(app), app]);
  for (const s of services)
    for (const n of [
      s,
      headlessServiceName(s),
      `${s}-config`,
      `${s}-secret`,
      `${s}-canary`,
      trackServiceName(s, 'stable'),
    ])
      names.add(n);
  return names;
}

/** Collisions of the names `namesOf` predicts with `others` (kinds aside: a name is one object's). */
export function nameCollisions(names: ReadonlySet<string>, others: readonly KubernetesObject[]): Collision[] {
  return others
    .filter((o) => names.has(o.metadata.name))
    .map((o) => ({ object: `${o.kind}/${o.metadata.name}`, owner: ownerOf(o) }));
}

/** The error of a refused deploy: what is taken, by which app and environment, and what to do. */
export function collisionError(
  app: string,
  env: string,
  namespace: string,
  found: readonly Collision[],
): ConflictError {
  const owners = [...new Set(found.map((c) => `app ${c.owner.app} (environment ${c.owner.env})`))];
  const objects = found.map((c) => c.object).sort();
  return new ConflictError(
    `${app} cannot deploy to namespace ${namespace} (environment ${env}): ${objects.join(', ')} there ${
      objects.length === 1 ? 'belongs' : 'belong'
    } to ${owners.join(' and ')}. Nothing was applied. Apps sharing a namespace need distinct service names: rename the service in berth.yaml, or give the environment its own namespace (berth env create --kubernetes --namespace)`,
    { details: { namespace, objects, owners: found.map((c) => c.owner) } },
  );
}
