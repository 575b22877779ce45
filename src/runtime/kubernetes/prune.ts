/**
 * Finding and deleting Berth's objects by label: pruning what a new release no longer renders, and
 * removing a service or an app. Only objects that carry every label of the selector (managed-by
 * berth, the app, the environment, the service) are ever deleted; the labels are checked again on
 * the client before each delete.
 */
import type { KubernetesObject as ClientObject } from '@kubernetes/client-node';
import { RuntimeError } from '../../errors.js';
import { apiStatus, describeApiError, type KubeClients } from './client.js';
import { hasLabels, isClaim, MANAGED_KINDS, ref, type ManagedKind } from './kinds.js';
import type { KubernetesObject } from './manifests/contract.js';

/** Lists the objects of the given kinds that carry all `labels` (apiVersion and kind filled in). */
export async function listLabelled(
  clients: KubeClients,
  namespace: string,
  labels: Record<string, string>,
  kinds: readonly ManagedKind[] = MANAGED_KINDS,
): Promise<KubernetesObject[]> {
  const selector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const lists = await Promise.all(
    kinds.map(async (k) => {
      try {
        const list = await clients.objects.list(
          k.apiVersion,
          k.kind,
          namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          selector,
        );
        return list.items.map((i) => ({
          ...(i as unknown as KubernetesObject),
          apiVersion: k.apiVersion,
          kind: k.kind,
        }));
      } catch (err) {
        const status = apiStatus(err);
        if (status === 404) return []; // namespace (or API group) not there: nothing of ours either
        if (status === 403 && k.optional) return []; // a Role without the CRD's rules: Berth made none
        throw new RuntimeError(`cannot list ${k.kind} in ${namespace}: ${describeApiError(err)}`, { cause: err });
      }
    }),
  );
  return lists.flat().filter((o) => hasLabels(o, labels));
}

/**
 * Deletes one object (dependents in the background, or left in place: `Orphan`); an object already
 * gone is fine. Never a claim.
 */
export async function deleteObject(
  clients: KubeClients,
  namespace: string,
  o: KubernetesObject,
  propagation: 'Background' | 'Orphan' = 'Background',
): Promise<void> {
  if (isClaim(o)) throw new RuntimeError(`${ref(o)} holds data: Berth does not delete volumes with an app`);
  try {
    await clients.objects.delete(
      { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace } } as ClientObject,
      undefined,
      undefined,
      undefined,
      undefined,
      propagation,
    );
  } catch (err) {
    if (apiStatus(err) === 404) return;
    throw new RuntimeError(`cannot delete ${ref(o)} in ${namespace}: ${describeApiError(err)}`, { cause: err });
  }
}

/**
 * Deletes the labelled objects of `kinds` that are not in `keep` (matched by apiVersion, kind and
 * name). Returns what was deleted.
 */
export async function prune(
  clients: KubeClients,
  namespace: string,
  labels: Record<string, string>,
  keep: KubernetesObject[],
  kinds: readonly ManagedKind[] = MANAGED_KINDS,
): Promise<KubernetesObject[]> {
  return pruneFrom(clients, namespace, await listLabelled(clients, namespace, labels, kinds), labels, keep);
}

/** Deletes the objects of `live` that carry every label of `labels` and are not in `keep`. */
export async function pruneFrom(
  clients: KubeClients,
  namespace: string,
  live: Iterable<KubernetesObject>,
  labels: Record<string, string>,
  keep: KubernetesObject[],
): Promise<KubernetesObject[]> {
  const id = (o: KubernetesObject): string => `${o.apiVersion}|${o.kind}|${o.metadata.name}`;
  const kept = new Set(keep.map(id));
  // A claim holds data: never pruned, whatever a release renders (see CLAIM_KIND).
  const stale = [...live].filter((o) => !isClaim(o) && hasLabels(o, labels) && !kept.has(id(o)));
  for (const o of stale) await deleteObject(clients, namespace, o);
  return stale;
}
