/** The kinds Berth applies, in apply order, and the label selectors that find an app's objects. */
import { LABEL, type KubernetesObject } from './manifests/contract.js';

/** A kind Berth renders and manages. */
export interface ManagedKind {
  apiVersion: string;
  kind: string;
  /** Resource name in API paths. */
  plural: string;
  /** Has a rollout to watch. */
  workload: boolean;
  /**
   * A CRD that may not be installed (the Gateway API): listing it answers 404 without it, or 403 when
   * Berth's Role predates it; either means no object of Berth's is there.
   */
  optional?: boolean;
}

/**
 * Every kind Berth may render, in the order objects are applied: what pods mount (config, secrets)
 * and address (services) exists before the workloads that use them; HPA, Ingress and HTTPRoute come last.
 */
export const MANAGED_KINDS: readonly ManagedKind[] = [
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', workload: false },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', workload: false },
  { apiVersion: 'v1', kind: 'Service', plural: 'services', workload: false },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', workload: false },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', workload: true },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', workload: true },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', workload: true },
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', workload: true },
  { apiVersion: 'batch/v1', kind: 'CronJob', plural: 'cronjobs', workload: false },
  {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    workload: false,
  },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', workload: false },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    plural: 'httproutes',
    workload: false,
    optional: true,
  },
];

/**
 * PersistentVolumeClaims: applied with the services that mount them, listed to find another app's
 * claim of the same name, but never among the kinds that are pruned or removed: data outlives
 * deploys, `berth down` and a service's removal (deleting a volume is an explicit act).
 */
export const CLAIM_KIND: ManagedKind = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  workload: false,
};

/** Whether `o` is a PersistentVolumeClaim (never deleted by Berth). */
export function isClaim(o: { apiVersion: string; kind: string }): boolean {
  return o.kind === CLAIM_KIND.kind && o.apiVersion === CLAIM_KIND.apiVersion;
}

/**
 * The kinds of an app's edge: its Ingress, and the traffic split of its progressive services
 * (HTTPRoutes, canary Ingresses). `applyRoutes` owns and prunes them app-wide.
 */
export const EDGE_KINDS = MANAGED_KINDS.filter((k) => k.kind === 'Ingress' || k.kind === 'HTTPRoute');

/** Every kind but the edge's: what converge prunes per service. */
export const SERVICE_KINDS = MANAGED_KINDS.filter((k) => !EDGE_KINDS.includes(k));

/** The collection path of a kind in a namespace, e.g. `/apis/apps/v1/namespaces/prod/deployments`. */
export function collectionPath(k: { apiVersion: string; plural: string }, namespace: string): string {
  const root = k.apiVersion.includes('/') ? 'apis' : 'api';
  return `/${root}/${k.apiVersion}/namespaces/${encodeURIComponent(namespace)}/${k.plural}`;
}

/** The managed kind of an object, if it is one. */
export function kindOf(o: { apiVersion: string; kind: string }): ManagedKind | undefined {
  return MANAGED_KINDS.find((k) => k.kind === o.kind && k.apiVersion === o.apiVersion);
}

/** Position of an object's kind in apply order (unknown kinds go just before workloads). */
export function applyOrder(o: KubernetesObject): number {
  const i = MANAGED_KINDS.findIndex((k) => k.kind === o.kind && k.apiVersion === o.apiVersion);
  return i === -1 ? 3.5 : i;
}

/**
 * `part-of=<app>,managed-by=berth,berth.dev/env=<env>`, plus `app.kubernetes.io/name=<service>` for
 * one service (the renderer's `component` is the service's kind: service, job, cronjob, edge).
 */
export function labelsOf(app: string, env: string, service?: string): Record<string, string> {
  return {
    [LABEL.partOf]: app,
    [LABEL.managedBy]: 'berth',
    [LABEL.env]: env,
    ...(service === undefined ? {} : { [LABEL.name]: service }),
  };
}

/** The label selector of an app (or one service of it) in an environment. */
export function selectorOf(app: string, env: string, service?: string): string {
  return Object.entries(labelsOf(app, env, service))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Whether an object carries every label of the selector (checked again client-side before deleting). */
export function hasLabels(
  o: { metadata?: { labels?: Record<string, string> } },
  labels: Record<string, string>,
): boolean {
  const l = o.metadata?.labels ?? {};
  return Object.entries(labels).every(([k, v]) => l[k] === v);
}

/** `Kind/name`, for messages. */
export function ref(o: KubernetesObject): string {
  return `${o.kind}/${o.metadata.name}`;
}
