/**
 * The seam between Berth's release model and Kubernetes objects: what the manifest renderer takes
 * and returns. `renderManifests` (manifests/render.ts) is a pure function of this input; the
 * Kubernetes runtime applies its output, `berth render` prints it, the Helm export templates it.
 */
import type { ServiceAddress } from '../../../model/observation.js';
import type { ServiceState } from '../../../model/serviceState.js';
import type { TrafficRouter, Route, TrafficMatch, IngressTls } from '../../../model/routing.js';

/** A Kubernetes object as sent to the API server (apiVersion, kind, metadata.name at least). */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ManifestOptions {
  namespace: string;
  /** Kubernetes minor version the objects target, e.g. "1.30" (default). */
  kubernetesVersion?: string;
  /** Ingress class for routes; no class annotation/field when omitted. */
  ingressClassName?: string;
  /** Host for routes without one (Ingress rules need a host or match all). */
  defaultHost?: string;
  /** How secret values appear: real (apply), masked (shown to people). */
  secrets: 'real' | 'masked';
  /** Seconds a pod sleeps in preStop so endpoints drain before SIGTERM (capped at half the grace period). Default 5. */
  preStopSeconds?: number;
  /** How progressive services split traffic between their tracks (default `gatewayApi`). */
  trafficRouter?: TrafficRouter;
  /** The Gateway the HTTPRoutes of progressive services attach to (default `berth` in `namespace`). */
  gateway?: GatewayRef;
  /** StorageClass of the volumes' PersistentVolumeClaims (the cluster's default class when omitted). */
  storageClass?: string;
  /** Volume name → bytes its claims request in this environment, over berth.yaml's `size`. */
  volumeSizes?: Record<string, number>;
  /** IANA time zone of CronJob schedules (`timeZone`, Kubernetes 1.27+); the controller's (UTC) when omitted. */
  timeZone?: string;
}

/** A Gateway API Gateway, by name (and namespace when it is not the routes' own). */
export interface GatewayRef {
  name: string;
  namespace?: string;
}

/** The Gateway HTTPRoutes attach to when the environment names none. */
export const DEFAULT_GATEWAY_NAME = 'berth';

/** How a service runs on a cluster, from berth.yaml (`kind`, `schedule`, `stateful`, `placement`, `autoscale`). */
export interface ServiceShape {
  kind: 'service' | 'job' | 'cronjob';
  /** Cron schedule of a `cronjob`. */
  schedule?: string;
  /** StatefulSet + headless Service instead of a Deployment. */
  stateful: boolean;
  /** `perNode`: one replica on every node (DaemonSet). */
  placement: 'replicated' | 'perNode';
  autoscale?: AutoscaleShape;
  /**
   * Set when the service releases progressively (canary, blue-green, A/B): it is rendered with a
   * Service per track and a traffic split, at weight 0 while no canary runs. `match` is an A/B
   * test's header or cookie (checked against what the traffic router can express).
   */
  progressive?: { match?: TrafficMatch };
}

/** HorizontalPodAutoscaler parameters. */
export interface AutoscaleShape {
  /** The scale-down stabilization window when it is not Kubernetes' default of 300 s. */
  scaleDownStabilizationSeconds?: number;
  min: number;
  max: number;
  /** Target average CPU utilisation, percent of the request. */
  cpuPercent?: number;
  /** Target requests per second per pod (a Pods metric `http_requests_per_second` from a metrics adapter). */
  requestsPerSecond?: number;
}

export interface ManifestInput {
  app: string;
  env: string;
  revision: number;
  configVersion: number;
  /** Desired state per service, as the release engine renders it (src/release/render.ts). */
  services: Record<string, ServiceState>;
  routes: Route[];
  options: ManifestOptions;
  /** Per service; a service without one is a replicated long-running `service`. Fill with `shapesOf(spec)`. */
  shapes?: Record<string, ServiceShape>;
  /**
   * Per service: field path (`env.KEY`, `files.<path>`, `image`) → keyed digest of a secret-derived value,
   * i.e. `RenderedService.secretDigests`. Marks which env values go to the Secret, and feeds the
   * config checksum without revealing the secret.
   */
  secretDigests?: Record<string, Record<string, string>>;
  /**
   * The addresses the services' discovery variables were rendered from (`kubernetesAddresses`). When
   * given, `<SERVICE>_HOST/_PORT/_URL` go into one shared ConfigMap `<app>-discovery` (envFrom)
   * instead of being repeated in every service's ConfigMap: O(services) instead of O(services²).
   */
  addresses?: Record<string, ServiceAddress>;
  /**
   * The same shared discovery variables, when the caller has them rendered (`ServiceState.discovery`)
   * rather than the addresses: the Kubernetes runtime, which converges one service at a time.
   */
  discovery?: Record<string, string>;
  /** Per service, `secretDigests` of the canary track's revision (`ServiceState.canary`), when it has one. */
  canarySecretDigests?: Record<string, Record<string, string>>;
  /** The Ingress's `tls` (berth.yaml `edge.tls.kubernetes`). */
  ingressTls?: IngressTls;
}

/** Labels every object of an app carries; pruning selects by `app.kubernetes.io/part-of` + managed-by. */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  partOf: 'app.kubernetes.io/part-of',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
  env: 'berth.dev/env',
  /** `stable` or `canary`, on the pods, workloads and Services of a progressive service. */
  track: 'berth.dev/track',
} as const;

export const ANNOTATION = {
  revision: 'berth.dev/revision',
  configVersion: 'berth.dev/config-version',
  hash: 'berth.dev/hash',
  /** On the pod template: changes with config files/values so a config change rolls the pods. */
  configChecksum: 'berth.dev/config-checksum',
  /**
   * On traffic objects (HTTPRoute, canary Ingress): the routes they serve as JSON, so the runtime can
   * re-weight them after a restart without waiting for the app's routes.
   */
  routes: 'berth.dev/routes',
} as const;

/** Renders the objects of one app in one environment (pure: same input, same output, sorted). */
export type RenderManifests = (input: ManifestInput) => KubernetesObject[];
