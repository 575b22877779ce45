/** `autoscale` → HorizontalPodAutoscaler (autoscaling/v2) on CPU utilisation and/or requests per second. */
import type { KubernetesObject } from './contract.js';
import { objectMeta } from './labels.js';
import { workloadName, type ServiceContext } from './podTemplate.js';

/** The Pods metric a requests-per-second target reads (served by a custom metrics adapter, e.g. prometheus-adapter). */
export const RPS_METRIC = 'http_requests_per_second';

/** The autoscaler of a Deployment or StatefulSet (one per track of a progressive service); none without `autoscale`. */
export function horizontalPodAutoscaler(ctx: ServiceContext, targetKind: string): KubernetesObject | undefined {
  const { input, state, shape } = ctx;
  const a = shape.autoscale;
  if (!a) return undefined;
  const metrics: Record<string, unknown>[] = [];
  if (a.cpuPercent !== undefined) {
    if (state.workload.resources.cpuRequestMillis === undefined)
      ctx.problems.push({
        path: `services.${state.service}.resources.requests.cpu`,
        message: 'autoscaling on cpu needs a cpu request (utilisation is a percentage of it)',
      });
    metrics.push({
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.cpuPercent } },
    });
  }
  if (a.requestsPerSecond !== undefined) {
    metrics.push({
      type: 'Pods',
      pods: {
        metric: { name: RPS_METRIC },
        target: { type: 'AverageValue', averageValue: String(a.requestsPerSecond) },
      },
    });
  }
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: objectMeta(input, workloadName(ctx), state.service, shape.kind, ctx.track ? { track: ctx.track } : {}),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: targetKind, name: workloadName(ctx) },
      minReplicas: a.min,
      maxReplicas: a.max,
      metrics,
      ...(a.scaleDownStabilizationSeconds === undefined
        ? {}
        : { behavior: { scaleDown: { stabilizationWindowSeconds: a.scaleDownStabilizationSeconds } } }),
    },
  };
}
