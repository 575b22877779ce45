/** `kind: cronjob` → CronJob on `schedule`; runs never overlap. */
import { ANNOTATION, type KubernetesObject } from './contract.js';
import { objectMeta } from './labels.js';
import type { ServiceContext } from './podTemplate.js';
import { versionOf } from './deployment.js';
import { jobSpec } from './job.js';

/** The CronJob of `ctx.state` (batch/v1, served since Kubernetes 1.21). */
export function cronJob(ctx: ServiceContext): KubernetesObject {
  const { input, state, shape } = ctx;
  if (!shape.schedule)
    ctx.problems.push({ path: `services.${state.service}.schedule`, message: 'a cronjob needs `schedule`' });
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: objectMeta(input, state.service, state.service, shape.kind, {
      ...versionOf(state.workload.image),
      annotations: { [ANNOTATION.hash]: state.hash },
    }),
    spec: {
      schedule: shape.schedule ?? '',
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { spec: jobSpec(ctx) },
    },
  };
}
