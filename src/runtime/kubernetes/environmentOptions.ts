/**
 * The manifest options an environment sets, passed to every render as given: Kubernetes version
 * (default the renderer's, 1.30), Ingress class, host of routes without one, traffic router and
 * Gateway, the volumes' StorageClass and sizes, CronJobs' time zone.
 */
export const ENVIRONMENT_OPTIONS = [
  'kubernetesVersion',
  'ingressClassName',
  'defaultHost',
  'trafficRouter',
  'gateway',
  'storageClass',
  'volumeSizes',
  'timeZone',
] as const;
