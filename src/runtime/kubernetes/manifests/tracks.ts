/**
 * The two tracks of a progressive service (canary, blue-green, A/B): a Service per track for the
 * traffic router to weigh, and the canary track's own objects (config, Deployment, autoscaler) beside
 * the stable ones. The plain `<service>` Service keeps selecting both tracks, so in-cluster callers
 * keep one address.
 */
import type { CanaryTrack, ServiceState } from '../../../model/serviceState.js';
import type { Track } from '../../../model/routing.js';
import { LABEL, type KubernetesObject, type ManifestInput, type ServiceShape } from './contract.js';
import { configMap } from './configMap.js';
import { deployment } from './deployment.js';
import { horizontalPodAutoscaler } from './hpa.js';
import { objectMeta, selectorLabels } from './labels.js';
import type { ServiceContext } from './podTemplate.js';
import { secret } from './secret.js';
import { serviceConfig } from './serviceConfig.js';

/** A service without a shape is a replicated long-running `service`. */
export const DEFAULT_SHAPE: ServiceShape = { kind: 'service', stateful: false, placement: 'replicated' };

/** The shape of one service of the input. */
export function shapeIn(input: Pick<ManifestInput, 'shapes'>, service: string): ServiceShape {
  return input.shapes?.[service] ?? DEFAULT_SHAPE;
}

/** `<service>-stable` or `<service>-canary`: the Service that selects one track's pods. */
export function trackServiceName(service: string, track: Track): string {
  return `${service}-${track}`;
}

/** Whether a service is rendered with tracks: it releases progressively, or a canary runs now. */
export function hasTracks(ctx: { shape: ServiceShape; state: ServiceState | undefined }): boolean {
  return (
    ctx.shape.kind === 'service' &&
    !ctx.shape.stateful &&
    ctx.shape.placement === 'replicated' &&
    (ctx.shape.progressive !== undefined || ctx.state?.canary !== undefined)
  );
}

/** The Services `<service>-stable` and `<service>-canary` (none when the service declares no port). */
export function trackServices(ctx: ServiceContext): KubernetesObject[] {
  const { input, state, shape } = ctx;
  if (state.workload.ports.length === 0) return [];
  return (['stable', 'canary'] as const).map((track) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(input, trackServiceName(state.service, track), state.service, shape.kind, { track }),
    spec: {
      type: 'ClusterIP',
      selector: { ...selectorLabels(input, state.service), [LABEL.track]: track },
      ports: state.workload.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.name,
        protocol: p.protocol,
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      })),
    },
  }));
}

/** The service's state as the canary track runs it: the canary's revision, hash, replicas and workload. */
export function canaryState(state: ServiceState, canary: CanaryTrack): ServiceState {
  const { canary: _c, traffic: _t, ...rest } = state;
  return {
    ...rest,
    revision: canary.revision,
    configVersion: canary.configVersion,
    hash: canary.hash,
    replicas: canary.replicas,
    workload: canary.workload,
  };
}

/**
 * The canary track's objects: ConfigMap `<service>-canary-config` and Secret `<service>-canary-secret`
 * (its config version may differ from stable's, and mounted files change live), Deployment
 * `<service>-canary`, and its autoscaler. Annotated with the canary's revision and config version.
 */
export function canaryObjects(
  stable: ServiceContext,
  canary: CanaryTrack,
  digests: Record<string, string> | undefined,
  discovery: Record<string, string>,
  discoveryHex: string,
): (KubernetesObject | undefined)[] {
  const state = canaryState(stable.state, canary);
  // serviceConfig names the ConfigMap and Secret after the state's service: the canary's get their own.
  const config = serviceConfig(
    { ...state, service: trackServiceName(state.service, 'canary') },
    digests,
    discovery,
    discoveryHex,
  );
  const ctx: ServiceContext = {
    ...stable,
    input: { ...stable.input, revision: canary.revision, configVersion: canary.configVersion },
    state,
    config,
    track: 'canary',
  };
  return [configMap(ctx), secret(ctx), deployment(ctx), horizontalPodAutoscaler(ctx, 'Deployment')];
}
