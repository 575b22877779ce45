/**
 * Which Kubernetes versions Berth renders for, and what differs between them for the objects it
 * renders. The OpenAPI validators (kubernetes-models 4.5.1) are generated from Kubernetes 1.33 and
 * keep older API groups, so a selected version is enforced on top of them by this table: the API
 * versions each kind is served at, and the fields Berth uses that appeared later than 1.23.
 */
import { ValidationError } from '../../../errors.js';

/** The version rendered for when none is chosen. */
export const DEFAULT_KUBERNETES_VERSION = '1.30';
/** The newest version the bundled OpenAPI schemas describe. */
export const SCHEMA_KUBERNETES_VERSION = '1.33';
/** Oldest supported: the first with autoscaling/v2 (HorizontalPodAutoscaler). */
const OLDEST_MINOR = 23;
const NEWEST_MINOR = 33;

/** `1.30` → 30 (minor of a supported 1.x version); throws a ValidationError listing the supported range. */
export function minorOf(version: string): number {
  const m = /^v?1\.(\d+)(?:\.\d+)?$/.exec(version.trim());
  const minor = m ? Number(m[1]) : NaN;
  if (!(minor >= OLDEST_MINOR && minor <= NEWEST_MINOR)) {
    throw new ValidationError(`unsupported Kubernetes version ${version}`, [
      {
        path: 'kubernetesVersion',
        message: `Berth renders for Kubernetes 1.${OLDEST_MINOR} to 1.${NEWEST_MINOR} (e.g. 1.30)`,
      },
    ]);
  }
  return minor;
}

/** apiVersion/kind → [first minor served, last minor served] for the kinds Berth renders. */
const SERVED: Record<string, [number, number]> = {
  'v1/ConfigMap': [0, 99],
  'v1/Secret': [0, 99],
  'v1/Service': [0, 99],
  'v1/PersistentVolumeClaim': [0, 99],
  'apps/v1/Deployment': [9, 99],
  'apps/v1/StatefulSet': [9, 99],
  'apps/v1/DaemonSet': [9, 99],
  'batch/v1/Job': [0, 99],
  'batch/v1/CronJob': [21, 99],
  'batch/v1beta1/CronJob': [8, 24],
  'networking.k8s.io/v1/Ingress': [19, 99],
  'autoscaling/v2/HorizontalPodAutoscaler': [23, 99],
  'autoscaling/v2beta2/HorizontalPodAutoscaler': [12, 25],
  'policy/v1/PodDisruptionBudget': [21, 99],
  'policy/v1beta1/PodDisruptionBudget': [5, 24],
  // A CRD: served wherever the Gateway API (v1.0 or later) is installed.
  'gateway.networking.k8s.io/v1/HTTPRoute': [0, 99],
};

/** Whether `apiVersion`/`kind` is served by Kubernetes 1.`minor`. */
export function isServed(apiVersion: string, kind: string, minor: number): boolean {
  const range = SERVED[`${apiVersion}/${kind}`];
  return range !== undefined && minor >= range[0] && minor <= range[1];
}

/** Fields Berth may render that only later versions accept (on by default from that minor). */
export const FIELD_SINCE = {
  /** `lifecycle.preStop.sleep` (PodLifecycleSleepAction, beta and on by default in 1.30). */
  preStopSleep: 30,
  /** A CronJob's `spec.timeZone` (GA in 1.27). */
  cronJobTimeZone: 27,
  /** The `apps.kubernetes.io/pod-index` label on a StatefulSet's pods (beta, on by default in 1.28). */
  podIndexLabel: 28,
} as const;
