/** `kind: job` → Job, run once per change of the service (its name carries the workload hash). */
import { ANNOTATION, type KubernetesObject } from './contract.js';
import { objectMeta } from './labels.js';
import { podTemplate, type ServiceContext } from './podTemplate.js';
import { versionOf } from './deployment.js';

/** Retries of a failed Job pod before the Job fails (Kubernetes' default). */
export const JOB_BACKOFF_LIMIT = 6;

/** `<service>-<hash>`: a Job's pod template is immutable, so a changed job is a new Job (the old one is pruned). */
export function jobName(service: string, hash: string): string {
  return `${service}-${hash}`;
}

/** The Job spec shared by a Job and a CronJob's job template. */
export function jobSpec(ctx: ServiceContext): Record<string, unknown> {
  const n = Math.max(1, ctx.state.replicas);
  return { completions: n, parallelism: n, backoffLimit: JOB_BACKOFF_LIMIT, template: podTemplate(ctx) };
}

/** The Job of `ctx.state`; `replicas` is how many pods must complete (run in parallel). */
export function job(ctx: ServiceContext): KubernetesObject {
  const { input, state, shape } = ctx;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: objectMeta(input, jobName(state.service, state.hash), state.service, shape.kind, {
      ...versionOf(state.workload.image),
      annotations: { [ANNOTATION.hash]: state.hash },
    }),
    spec: jobSpec(ctx),
  };
}
