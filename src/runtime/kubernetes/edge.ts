/**
 * The app's edge on a cluster: its Ingress and the traffic split of its progressive services
 * (HTTPRoutes or canary Ingresses), rendered from the app's routes and each service's current split,
 * known from the last converge or read back from the cluster after a restart.
 */
import { ValidationError, type Problem } from '../../errors.js';
import type { AppRoutes, Route, TrafficSplit } from '../../model/routing.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { KubeClients } from './client.js';
import { EDGE_KINDS, labelsOf, MANAGED_KINDS } from './kinds.js';
import {
  ANNOTATION,
  type KubernetesObject,
  type ManifestInput,
  type ManifestOptions,
  type ServiceShape,
} from './manifests/contract.js';
import { ingress } from './manifests/ingress.js';
import { ingressTlsSecrets } from './manifests/tlsSecret.js';
import { DEFAULT_SHAPE, hasTracks, trackServiceName } from './manifests/tracks.js';
import { isTrafficObject, liveSplit, trafficObjects } from './manifests/traffic.js';
import { desiredSplit, routesFromAnnotation } from './manifests/trafficContext.js';
import { validateObjects } from './manifests/validate.js';
import { DEFAULT_KUBERNETES_VERSION } from './manifests/versions.js';
import { listLabelled, prune } from './prune.js';
import { LABEL } from './manifests/contract.js';

/**
 * The object without the per-release annotations (revision, config version): edge objects are
 * app-wide and applied by both converge and applyRoutes, which must render them alike.
 */
export function stripRelease(o: KubernetesObject): KubernetesObject {
  const a = o.metadata.annotations;
  if (!a) return o;
  const { [ANNOTATION.revision]: _r, [ANNOTATION.configVersion]: _c, ...rest } = a;
  const { annotations: _a, ...metadata } = o.metadata;
  return { ...o, metadata: Object.keys(rest).length > 0 ? { ...metadata, annotations: rest } : metadata };
}

/** The routes a service's live traffic objects record (`berth.dev/routes`), for a converge after a restart. */
export async function liveRoutes(
  clients: KubeClients,
  namespace: string,
  app: string,
  env: string,
  service: string,
): Promise<Route[]> {
  const objects = (await listLabelled(clients, namespace, labelsOf(app, env, service), EDGE_KINDS)).filter((o) =>
    isTrafficObject(o, service),
  );
  const seen = new Map<string, Route>();
  for (const o of objects)
    for (const r of routesFromAnnotation(o.metadata.annotations?.[ANNOTATION.routes], service))
      seen.set(`${r.host ?? ''} ${r.pathPrefix}`, r);
  return [...seen.values()];
}

/** What `edgeObjects` needs. */
export interface EdgeRequest {
  namespace: string;
  routes: AppRoutes;
  options: ManifestOptions;
  /** A routed service's last converged state and shape, when this runtime converged it. */
  known: (service: string) => { state: ServiceState; shape: ServiceShape } | undefined;
}

/** A state with just a live Service's ports: enough for a route's backend. */
function portsOnly(app: string, env: string, service: string, live: KubernetesObject): ServiceState | undefined {
  const ports = (live.spec as { ports?: { name?: string; port: number; protocol?: string }[] } | undefined)?.ports;
  if (!ports?.length) return undefined;
  return {
    app,
    env,
    service,
    revision: 0,
    configVersion: 0,
    hash: '',
    replicas: 0,
    workload: {
      env: {},
      files: [],
      ports: ports.map((p) => ({
        name: p.name ?? 'http',
        port: p.port,
        protocol: p.protocol === 'UDP' ? 'UDP' : 'TCP',
      })),
      resources: {},
      terminationGracePeriodMs: 0,
    },
    rollout: { maxSurge: 0, maxUnavailable: 0, progressDeadlineMs: 0 },
    restart: { initialBackoffMs: 0, maxBackoffMs: 0, resetAfterMs: 0 },
  };
}

/**
 * The app's Ingress and the traffic objects of its routed progressive services, validated, without
 * release annotations. A service this runtime has not converged (a restart) is read from the
 * cluster: its Service's ports, whether it has track Services, and its applied split.
 */
export async function edgeObjects(clients: KubeClients, req: EdgeRequest): Promise<KubernetesObject[]> {
  const { app, env } = req.routes;
  const routed = [...new Set(req.routes.routes.map((r) => r.service))];
  const unknown = routed.filter((s) => !req.known(s));
  const liveServices =
    unknown.length > 0
      ? await listLabelled(
          clients,
          req.namespace,
          labelsOf(app, env),
          MANAGED_KINDS.filter((k) => k.kind === 'Service'),
        )
      : [];
  const liveService = (name: string): KubernetesObject | undefined =>
    liveServices.find((x) => x.metadata.name === name);
  const liveTracked = unknown.filter((s) => liveService(trackServiceName(s, 'canary')));
  const liveEdge =
    liveTracked.length > 0 ? await listLabelled(clients, req.namespace, labelsOf(app, env), EDGE_KINDS) : [];

  const services: Record<string, ServiceState> = {};
  const shapes: Record<string, ServiceShape> = {};
  const splits: Record<string, TrafficSplit> = {};
  for (const service of routed) {
    const k = req.known(service);
    if (k) {
      services[service] = k.state;
      if (hasTracks(k)) {
        shapes[service] = { ...k.shape, progressive: k.shape.progressive ?? {} };
        splits[service] = desiredSplit(k.state);
      }
      continue;
    }
    const live = liveService(service);
    const state = live ? portsOnly(app, env, service, live) : undefined;
    if (!state) continue;
    services[service] = state;
    if (liveTracked.includes(service)) {
      shapes[service] = { ...DEFAULT_SHAPE, progressive: {} };
      splits[service] = liveSplit(liveEdge, service) ?? { canaryWeight: 0 };
    }
  }
  const input: ManifestInput = {
    app,
    env,
    revision: 0,
    configVersion: 0,
    services,
    routes: req.routes.routes,
    ...(req.routes.edge?.ingressTls ? { ingressTls: req.routes.edge.ingressTls } : {}),
    options: req.options,
    shapes,
  };
  const problems: Problem[] = [];
  const edge = ingress(input, problems);
  const objects = [
    // The Secrets of berth.yaml's certificates first: the Ingress names them.
    ...(edge ? [...ingressTlsSecrets(input), edge] : []),
    ...Object.keys(splits).flatMap((s) =>
      trafficObjects(input, services[s]!, shapes[s]!, req.routes.routes, problems, splits[s]),
    ),
  ];
  if (problems.length > 0) throw new ValidationError(`the routes of ${app} cannot be served`, problems);
  validateObjects(objects, req.options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
  return objects.map(stripRelease);
}

const SECRET_KIND = MANAGED_KINDS.filter((k) => k.kind === 'Secret');

/**
 * Deletes the app's edge objects `applied` no longer has: Ingress and HTTPRoutes, and the TLS
 * Secrets Berth made of berth.yaml's certificates (labelled component `edge`; a service's own
 * Secrets carry its shape's component and are never touched here).
 */
export async function pruneEdge(
  clients: KubeClients,
  namespace: string,
  app: string,
  env: string,
  applied: KubernetesObject[],
): Promise<KubernetesObject[]> {
  const labels = labelsOf(app, env);
  return [
    ...(await prune(clients, namespace, labels, applied, EDGE_KINDS)),
    ...(await prune(clients, namespace, { ...labels, [LABEL.component]: 'edge' }, applied, SECRET_KIND)),
  ];
}
