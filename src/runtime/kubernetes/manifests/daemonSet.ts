/** `placement: perNode` → DaemonSet: one pod on every schedulable node. */
import { ANNOTATION, type KubernetesObject } from './contract.js';
import { objectMeta, selectorLabels } from './labels.js';
import { podTemplate, type ServiceContext } from './podTemplate.js';
import { versionOf } from './deployment.js';

/** The DaemonSet of `ctx.state`; `replicas` does not apply (one per node). */
export function daemonSet(ctx: ServiceContext): KubernetesObject {
  const { input, state, shape } = ctx;
  const { maxSurge, maxUnavailable } = state.rollout;
  // A DaemonSet rejects maxSurge and maxUnavailable both non-zero on some versions: surge wins only when asked alone.
  const surgeOnly = (maxUnavailable === 0 || maxUnavailable === '0%') && !(maxSurge === 0 || maxSurge === '0%');
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: objectMeta(input, state.service, state.service, shape.kind, {
      ...versionOf(state.workload.image),
      annotations: { [ANNOTATION.hash]: state.hash },
    }),
    spec: {
      selector: { matchLabels: selectorLabels(input, state.service) },
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: surgeOnly ? { maxSurge, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable },
      },
      template: podTemplate(ctx),
    },
  };
}
