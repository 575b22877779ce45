/** berth.yaml's cluster-only service fields → the renderer's `ServiceShape`s. */
import type { AppSpec, ServiceSpec } from '../../../spec/schema.js';
import type { ServiceShape } from './contract.js';

/** The shape of one service. */
export function shapeOf(svc: ServiceSpec): ServiceShape {
  return {
    kind: svc.kind ?? 'service',
    ...(svc.schedule === undefined ? {} : { schedule: svc.schedule }),
    stateful: svc.stateful ?? false,
    placement: svc.placement ?? 'replicated',
    ...(svc.autoscale
      ? {
          autoscale: {
            min: svc.autoscale.min,
            max: svc.autoscale.max,
            ...(svc.autoscale.cpu === undefined ? {} : { cpuPercent: svc.autoscale.cpu }),
            ...(svc.autoscale.requestsPerSecond === undefined
              ? {}
              : { requestsPerSecond: svc.autoscale.requestsPerSecond }),
          },
        }
      : {}),
  };
}

/** `ManifestInput.shapes` for every service of `spec`. */
export function shapesOf(spec: Pick<AppSpec, 'services'>): Record<string, ServiceShape> {
  return Object.fromEntries(Object.entries(spec.services).map(([name, svc]) => [name, shapeOf(svc)]));
}
