/**
 * The manifest renderer: a release's desired state → the Kubernetes objects of one app in one
 * namespace, sorted in apply order, every one validated against the OpenAPI schemas of the chosen
 * Kubernetes version. Pure: the same input gives the same objects.
 */
import { ValidationError, type Problem } from '../../../errors.js';
import type { KubernetesObject, ManifestInput, RenderManifests } from './contract.js';
import { configMap } from './configMap.js';
import { cronJob } from './cronJob.js';
import { daemonSet } from './daemonSet.js';
import { deployment } from './deployment.js';
import { horizontalPodAutoscaler } from './hpa.js';
import { ingress } from './ingress.js';
import { job } from './job.js';
import { podDisruptionBudget } from './pdb.js';
import type { ServiceContext } from './podTemplate.js';
import { secret } from './secret.js';
import { headlessService, service } from './service.js';
import { discoveryDigest, serviceConfig } from './serviceConfig.js';
import { statefulSet } from './statefulSet.js';
import { validateObjects } from './validate.js';
import { discoveryConfigMap, discoveryConfigMapName, discoveryData } from './discovery.js';
import { DEFAULT_KUBERNETES_VERSION, minorOf } from './versions.js';
import { canaryObjects, hasTracks, shapeIn, trackServices } from './tracks.js';
import { trafficObjects } from './traffic.js';
import type { ServiceState } from '../../runtime.js';
import { discoveryFor } from '../../../spec/templates.js';

/** Apply order (Helm's install order): config first, then what uses it, then what points at it. */
const KIND_ORDER = [
  'Secret',
  'ConfigMap',
  'Service',
  'DaemonSet',
  'Deployment',
  'StatefulSet',
  'Job',
  'CronJob',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'Ingress',
  'HTTPRoute',
];

/** Sorts objects by apply order, then name. */
export function sortObjects(objects: KubernetesObject[]): KubernetesObject[] {
  const rank = (k: string): number => {
    const i = KIND_ORDER.indexOf(k);
    return i < 0 ? KIND_ORDER.length : i;
  };
  return objects.sort((a, b) => rank(a.kind) - rank(b.kind) || a.metadata.name.localeCompare(b.metadata.name));
}

function serviceObjects(ctx: ServiceContext): (KubernetesObject | undefined)[] {
  const { shape } = ctx;
  const config = [configMap(ctx), secret(ctx)];
  if (shape.kind === 'job') return [...config, job(ctx)];
  if (shape.kind === 'cronjob') return [...config, cronJob(ctx)];
  if (shape.placement === 'perNode') return [...config, service(ctx), daemonSet(ctx)];
  if (shape.stateful)
    return [
      ...config,
      service(ctx),
      headlessService(ctx),
      statefulSet(ctx),
      horizontalPodAutoscaler(ctx, 'StatefulSet'),
      podDisruptionBudget(ctx),
    ];
  return [
    ...config,
    service(ctx),
    deployment(ctx),
    horizontalPodAutoscaler(ctx, 'Deployment'),
    podDisruptionBudget(ctx),
  ];
}

/**
 * A progressive service: its stable objects (pods labelled with their track), a Service per track,
 * the canary track's objects while one runs, and the traffic split over the app's routes.
 */
function trackedObjects(
  ctx: ServiceContext,
  discovery: Record<string, string>,
  discoveryHex: string,
): (KubernetesObject | undefined)[] {
  const { input, state } = ctx;
  const stable: ServiceContext = { ...ctx, track: 'stable' };
  return [
    ...serviceObjects(stable),
    ...trackServices(stable),
    ...(state.canary
      ? canaryObjects(stable, state.canary, input.canarySecretDigests?.[state.service], discovery, discoveryHex)
      : []),
    ...trafficObjects(input, state, ctx.shape, input.routes, ctx.problems),
  ];
}

/** Renders without validating (the Helm export post-processes these); throws on render problems. */
export function renderObjects(input: ManifestInput): KubernetesObject[] {
  const version = input.options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
  const minor = minorOf(version);
  const problems: Problem[] = [];
  const objects: KubernetesObject[] = [];
  const shared = discoveryConfigMap(input);
  if (shared) objects.push(shared);
  const discovery = input.addresses ? discoveryData(input.addresses) : {};
  const discoveryHex = discoveryDigest(discovery);
  for (const name of Object.keys(input.services).sort()) {
    const given = input.services[name]!;
    // A state that carries discovery apart gets it in its own env when no shared ConfigMap holds it.
    const state: ServiceState =
      given.discovery && !shared
        ? {
            ...given,
            workload: { ...given.workload, env: { ...discoveryFor(name, given.discovery), ...given.workload.env } },
          }
        : given;
    const ctx: ServiceContext = {
      input,
      state,
      shape: shapeIn(input, name),
      config: serviceConfig(state, input.secretDigests?.[name], discovery, discoveryHex),
      minor,
      problems,
      ...(shared ? { discoveryConfigMap: discoveryConfigMapName(input.app) } : {}),
    };
    const own = hasTracks(ctx) ? trackedObjects(ctx, discovery, discoveryHex) : serviceObjects(ctx);
    for (const o of own) if (o) objects.push(o);
  }
  const edge = ingress(input, problems);
  if (edge) objects.push(edge);
  if (problems.length > 0)
    throw new ValidationError(
      `${input.app} cannot be rendered for Kubernetes: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
      problems.map((p) => ({ file: 'berth.yaml', ...p })),
    );
  return sortObjects(objects);
}

/** Renders and validates the objects of one app in one environment (see `RenderManifests`). */
export const renderManifests: RenderManifests = (input) => {
  const objects = renderObjects(input);
  validateObjects(objects, input.options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
  return objects;
};
