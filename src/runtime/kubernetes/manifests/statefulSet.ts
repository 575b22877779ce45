/** `stateful: true` → StatefulSet, whose pods get stable names through a headless Service. */
import { ANNOTATION, type KubernetesObject } from './contract.js';
import { objectMeta, selectorLabels } from './labels.js';
import { podTemplate, type ServiceContext } from './podTemplate.js';
import { versionOf } from './deployment.js';
import { headlessServiceName } from './service.js';
import { volumeClaimTemplates } from './volumes.js';

/** The StatefulSet of `ctx.state` (rolling updates one pod at a time, in order). */
export function statefulSet(ctx: ServiceContext): KubernetesObject {
  const { input, state, shape } = ctx;
  const mounts = state.workload.volumes ?? [];
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: objectMeta(input, state.service, state.service, shape.kind, {
      ...versionOf(state.workload.image),
      annotations: { [ANNOTATION.hash]: state.hash },
    }),
    spec: {
      ...(shape.autoscale ? {} : { replicas: state.replicas }),
      serviceName: headlessServiceName(state.service),
      selector: { matchLabels: selectorLabels(input, state.service) },
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      template: podTemplate(ctx),
      ...(mounts.length > 0 ? { volumeClaimTemplates: volumeClaimTemplates(input, state.service, mounts) } : {}),
    },
  };
}
