/** A replicated long-running service → Deployment. */
import { ANNOTATION, LABEL, type KubernetesObject } from './contract.js';
import { imageVersion, objectMeta, selectorLabels } from './labels.js';
import { podTemplate, workloadName, type ServiceContext } from './podTemplate.js';
import { seconds } from './quantities.js';

/**
 * The Deployment of `ctx.state`; `replicas` is left to the HorizontalPodAutoscaler when `autoscale` is
 * set. The canary track's is `<service>-canary` and selects its own pods by track; the stable one
 * keeps the selector it always had (selectors are immutable), so it also matches the canary's pods,
 * which the ReplicaSets' owner references keep apart.
 */
export function deployment(ctx: ServiceContext): KubernetesObject {
  const { input, state, shape } = ctx;
  const template = podTemplate(ctx);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(input, workloadName(ctx), state.service, shape.kind, {
      ...versionOf(state.workload.image),
      annotations: { [ANNOTATION.hash]: state.hash },
      ...(ctx.track ? { track: ctx.track } : {}),
    }),
    spec: {
      ...(shape.autoscale ? {} : { replicas: state.replicas }),
      selector: {
        matchLabels: {
          ...selectorLabels(input.app, state.service),
          ...(ctx.track === 'canary' ? { [LABEL.track]: 'canary' } : {}),
        },
      },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: state.rollout.maxSurge, maxUnavailable: state.rollout.maxUnavailable },
      },
      progressDeadlineSeconds: seconds(state.rollout.progressDeadlineMs, 1),
      template,
    },
  };
}

/** `{ version }` from an image tag, for `app.kubernetes.io/version`. */
export function versionOf(image: string | undefined): { version?: string } {
  const v = imageVersion(image);
  return v === undefined ? {} : { version: v };
}
