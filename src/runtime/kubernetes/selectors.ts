/**
 * Workloads whose immutable fields changed since they were applied, which the API server would
 * refuse to apply (422):
 * - a label selector Berth renders differently from the live one (a last resort: workloads an earlier
 *   Berth applied with `app.kubernetes.io/instance=<app>` keep that selector, legacySelectors.ts, so
 *   they roll). Such a workload is deleted, then applied anew: its pods are replaced at once rather
 *   than rolled (the event says so).
 * - a StatefulSet's `volumeClaimTemplates` (a volume added to a stateful service, or another size or
 *   class): it is deleted keeping its pods (`--cascade=orphan`, as Kubernetes documents), and the new
 *   one adopts them and rolls them in order onto the new template. Existing claims are kept as
 *   they are (Kubernetes does not resize a claim through its template).
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

/** What a StatefulSet's claim templates ask for: name, class and size of each. */
function claimTemplatesOf(o: KubernetesObject): string {
  interface Template {
    metadata?: { name?: string };
    spec?: { storageClassName?: string; resources?: { requests?: { storage?: string } } };
  }
  const t = (o.spec as { volumeClaimTemplates?: Template[] } | undefined)?.volumeClaimTemplates ?? [];
  return JSON.stringify(
    t.map((c) => [c.metadata?.name, c.spec?.storageClassName ?? null, c.spec?.resources?.requests?.storage ?? null]),
  );
}

/** A live workload deleted so that its rendered version can be applied, and why. */
export interface Replaced {
  object: KubernetesObject;
  why: string;
}

/** Deletes the live workloads of `objects` whose immutable fields differ from the rendered ones. */
export async function replaceChangedSelectors(
  clients: KubeClients,
  namespace: string,
  objects: readonly KubernetesObject[],
  live: ReadonlyMap<string, KubernetesObject>,
): Promise<Replaced[]> {
  const out: Replaced[] = [];
  for (const o of objects) {
    const l = SELECTED.has(o.kind) ? live.get(id(o)) : undefined;
    if (!l) continue;
    if (matchLabelsOf(l) !== matchLabelsOf(o)) {
      await deleteObject(clients, namespace, l);
      out.push({ object: l, why: 'its pod selector changed' });
    } else if (o.kind === 'StatefulSet' && claimTemplatesOf(l) !== claimTemplatesOf(o)) {
      await deleteObject(clients, namespace, l, 'Orphan');
      out.push({ object: l, why: 'its volume claim templates changed (its pods are kept and rolled)' });
    }
  }
  return out;
}
