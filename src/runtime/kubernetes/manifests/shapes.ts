/** berth.yaml's cluster-only service fields → the renderer's `ServiceShape`s. */
import type { AppSpec, ServiceSpec } from '../../../spec/schema.js';
import type { ServiceShape } from './contract.js';

/** Each service spec's shape (specs are immutable values): the same object for the same spec, which memos compare by identity. */
const shapes = new WeakMap<ServiceSpec, ServiceShape>();

/** The shape of one service. */
export function shapeOf(svc: ServiceSpec): ServiceShape {
  let shape = shapes.get(svc);
  if (shape === undefined) shapes.set(svc, (shape = shapeFor(svc)));
  return shape;
}

function shapeFor(svc: ServiceSpec): ServiceShape {
  // A stored spec gets its default strategy when read (src/spec/stored.ts).
  const strategy = svc.strategy;
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
            ...(svc.autoscale.scaleDownStabilizationMs !== undefined &&
            svc.autoscale.scaleDownStabilizationMs !== 300_000
              ? { scaleDownStabilizationSeconds: Math.round(svc.autoscale.scaleDownStabilizationMs / 1000) }
              : {}),
            ...(svc.autoscale.cpu === undefined ? {} : { cpuPercent: svc.autoscale.cpu }),
            ...(svc.autoscale.requestsPerSecond === undefined
              ? {}
              : { requestsPerSecond: svc.autoscale.requestsPerSecond }),
          },
        }
      : {}),
    ...(strategy.type !== 'rolling'
      ? { progressive: strategy.type === 'abTest' ? { match: strategy.match } : {} }
      : {}),
  };
}

/** `ManifestInput.shapes` for every service of `spec`. */
export function shapesOf(spec: Pick<AppSpec, 'services'>): Record<string, ServiceShape> {
  return Object.fromEntries(Object.entries(spec.services).map(([name, svc]) => [name, shapeOf(svc)]));
}
