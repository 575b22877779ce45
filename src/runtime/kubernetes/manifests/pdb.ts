/** A PodDisruptionBudget for services of two replicas or more: node drains take one pod at a time. */
import type { KubernetesObject } from './contract.js';
import { objectMeta, selectorLabels } from './labels.js';
import type { ServiceContext } from './podTemplate.js';

/** The budget of `ctx.state` when it keeps 2+ replicas (its autoscaler's minimum when it has one). */
export function podDisruptionBudget(ctx: ServiceContext): KubernetesObject | undefined {
  const { input, state, shape } = ctx;
  const least = shape.autoscale ? shape.autoscale.min : state.replicas;
  if (least < 2) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(input, state.service, state.service, shape.kind),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(input, state.service) } },
  };
}
