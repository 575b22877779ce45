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
  const matchLabels = selectorLabels(input, state.service);
  if (ctx.track === 'canary') matchLabels[LABEL.track] = 'canary';
  // Fields added in the order they print (no spreads: every service of a render comes through here).
  const spec: Record<string, unknown> = {};
  if (!shape.autoscale) spec.replicas = state.replicas;
  spec.selector = { matchLabels };
  spec.strategy = {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: state.rollout.maxSurge, maxUnavailable: state.rollout.maxUnavailable },
  };
  spec.progressDeadlineSeconds = seconds(state.rollout.progressDeadlineMs, 1);
  spec.template = template;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(input, workloadName(ctx), state.service, shape.kind, {
      version: imageVersion(state.workload.image),
      annotations: { [ANNOTATION.hash]: state.hash },
      track: ctx.track,
    }),
    spec,
  };
}

/** `{ version }` from an image tag, for `app.kubernetes.io/version`. */
export function versionOf(image: string | undefined): { version?: string } {
  const v = imageVersion(image);
  return v === undefined ? {} : { version: v };
}
