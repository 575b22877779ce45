/**
 * A workload whose label selector changed since it was applied: selectors are immutable, so the API
 * server refuses the apply (422). That happens once, to workloads applied before
 * `app.kubernetes.io/instance` became `<app>-<env>` (it was `<app>`, which matched the pods of the
 * app's other environments in the namespace). Such a workload is deleted, then applied anew: its
 * pods are replaced at once rather than rolled (the event says so).
 */
import type { KubeClients } from './client.js';
import type { KubernetesObject } from './manifests/contract.js';
import { deleteObject } from './prune.js';

const SELECTED = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

const id = (o: KubernetesObject): string => `${o.apiVersion}|${o.kind}|${o.metadata.name}`;

function matchLabelsOf(o: KubernetesObject): string {
  const m = (o.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels;
  return JSON.stringify(Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b)));
}

/** Deletes the live workloads of `objects` whose selector differs from the rendered one; returns them. */
export async function replaceChangedSelectors(
  clients: KubeClients,
  namespace: string,
  objects: readonly KubernetesObject[],
  live: ReadonlyMap<string, KubernetesObject>,
): Promise<KubernetesObject[]> {
  const changed = objects
    .filter((o) => SELECTED.has(o.kind))
    .map((o) => ({ o, l: live.get(id(o)) }))
    .filter(({ o, l }) => l !== undefined && matchLabelsOf(l) !== matchLabelsOf(o))
    .map(({ l }) => l!);
  for (const l of changed) await deleteObject(clients, namespace, l);
  return changed;
}
