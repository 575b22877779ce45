/**
 * Upgrading without downtime: earlier Berth labelled a service's pods, and selected them, with
 * `app.kubernetes.io/instance=<app>`; it is now `<app>-<env>`. A selector is immutable, so applying
 * the new one over a live workload would need the workload deleted and its pods restarted at once.
 * Instead a service whose live workload has the legacy selector keeps it: its workloads' selectors
 * and pod templates keep the legacy instance label, and so do its Services' and
 * PodDisruptionBudget's selectors, so the apply is an ordinary rolling update. The objects' own
 * labels (`metadata.labels`) are the new ones. Nothing else can match the legacy selector: a deploy
 * into a namespace holding another app's or environment's object of the same name is refused
 * (ownership.ts). New services (and `berth render`, Helm export: no live objects) get the new
 * labels; a service keeps the legacy selector until its workload is deleted.
 */
import { LABEL, type KubernetesObject } from './manifests/contract.js';
import { instanceLabel } from './manifests/labels.js';

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

const id = (o: KubernetesObject): string => `${o.apiVersion}|${o.kind}|${o.metadata.name}`;

interface PodSelecting {
  selector?: Record<string, unknown> & { matchLabels?: Record<string, string> };
  template?: { metadata?: { labels?: Record<string, string> } };
}

const specOf = (o: KubernetesObject): PodSelecting | undefined => o.spec as PodSelecting | undefined;

/** Whether a live workload of `service` selects its pods with the legacy `instance=<app>`. */
function isLegacy(o: KubernetesObject, app: string, env: string, service: string): boolean {
  const m = specOf(o)?.selector?.matchLabels;
  return (
    WORKLOADS.has(o.kind) && m?.[LABEL.name] === service && m[LABEL.instance] === app && app !== instanceLabel(app, env)
  );
}

/** Sets `labels[instance]` to `legacy` where it holds the new value. */
function toLegacy(labels: Record<string, string> | undefined, current: string, legacy: string): void {
  if (labels && labels[LABEL.instance] === current) labels[LABEL.instance] = legacy;
}

/**
 * `objects` (one service's, as rendered) with the legacy instance label in their pod selectors and
 * pod templates when one of the service's live workloads (`live`, the app's inventory) still selects
 * with it; `objects` unchanged otherwise. A live workload that already has the new selector keeps it.
 */
export function adoptLegacySelectors(
  app: string,
  env: string,
  service: string,
  objects: readonly KubernetesObject[],
  live: ReadonlyMap<string, KubernetesObject>,
): { objects: KubernetesObject[]; adopted: KubernetesObject[] } {
  const adopted = objects.filter((o) => {
    const l = live.get(id(o));
    return l !== undefined && isLegacy(l, app, env, service);
  });
  if (adopted.length === 0) return { objects: [...objects], adopted };
  const current = instanceLabel(app, env);
  const out = objects.map((o) => {
    const l = live.get(id(o));
    // A workload created with the new selector cannot take the legacy one.
    if (WORKLOADS.has(o.kind) && l !== undefined && !isLegacy(l, app, env, service)) return o;
    if (!WORKLOADS.has(o.kind) && o.kind !== 'Service' && o.kind !== 'PodDisruptionBudget') return o;
    const copy = structuredClone(o);
    const spec = specOf(copy);
    if (o.kind === 'Service') toLegacy(spec?.selector as Record<string, string> | undefined, current, app);
    else toLegacy(spec?.selector?.matchLabels, current, app);
    if (WORKLOADS.has(o.kind)) toLegacy(spec?.template?.metadata?.labels, current, app);
    return copy;
  });
  return { objects: out, adopted };
}
