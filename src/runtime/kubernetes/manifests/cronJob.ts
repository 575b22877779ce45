/** `kind: cronjob` → CronJob on `schedule`, in the environment's time zone; overlapping runs as `concurrency` says. */
import { ANNOTATION, type KubernetesObject } from './contract.js';
import { objectMeta } from './labels.js';
import type { ServiceContext } from './podTemplate.js';
import { versionOf } from './deployment.js';
import { jobSpec } from './job.js';
import { FIELD_SINCE } from './versions.js';

/** berth.yaml's `concurrency` → Kubernetes' concurrencyPolicy. */
const CONCURRENCY_POLICY = { forbid: 'Forbid', allow: 'Allow', replace: 'Replace' } as const;

/** `timeZone` of the environment's schedules (Kubernetes 1.27+: a problem before). */
function timeZone(ctx: ServiceContext): { timeZone?: string } {
  const tz = ctx.input.options.timeZone;
  if (tz === undefined) return {};
  if (ctx.minor < FIELD_SINCE.cronJobTimeZone)
    ctx.problems.push({
      path: `services.${ctx.state.service}.schedule`,
      message: `the environment's time zone ${tz} needs Kubernetes 1.${FIELD_SINCE.cronJobTimeZone} or later (CronJob timeZone)`,
    });
  return { timeZone: tz };
}

/** The CronJob of `ctx.state` (batch/v1, served since Kubernetes 1.21). */
export function cronJob(ctx: ServiceContext): KubernetesObject {
  const { input, state, shape } = ctx;
  const run = state.run;
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
      ...timeZone(ctx),
      concurrencyPolicy: CONCURRENCY_POLICY[run?.kind === 'cronjob' ? run.concurrency : 'forbid'],
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { spec: jobSpec(ctx) },
    },
  };
}
