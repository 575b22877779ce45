/** Service objects: the stable address of a service, and the headless one a StatefulSet names its pods through. */
import type { KubernetesObject } from './contract.js';
import { objectMeta, selectorLabels } from './labels.js';
import type { ServiceContext } from './podTemplate.js';

/** `<service>-headless`. */
export function headlessServiceName(service: string): string {
  return `${service}-headless`;
}

function ports(ctx: ServiceContext): Record<string, unknown>[] {
  return ctx.state.workload.ports.map((p) => ({
    name: p.name,
    port: p.port,
    targetPort: p.name,
    protocol: p.protocol,
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
  }));
}

/** The ClusterIP Service `<service>` (DNS `<service>.<namespace>.svc.cluster.local`); none without ports. */
export function service(ctx: ServiceContext): KubernetesObject | undefined {
  const { input, state, shape } = ctx;
  if (state.workload.ports.length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(input, state.service, state.service, shape.kind),
    spec: { type: 'ClusterIP', selector: selectorLabels(input, state.service), ports: ports(ctx) },
  };
}

/** The headless Service of a StatefulSet: per-pod DNS names, published before pods are ready (peers find each other). */
export function headlessService(ctx: ServiceContext): KubernetesObject {
  const { input, state, shape } = ctx;
  const p = ports(ctx);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(input, headlessServiceName(state.service), state.service, shape.kind),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: selectorLabels(input, state.service),
      ...(p.length ? { ports: p } : {}),
    },
  };
}
