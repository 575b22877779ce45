/** `kind: job` → Job, run once per change of its pod template (its name carries the template's digest). */
import { hash } from 'node:crypto';
import { ANNOTATION, type KubernetesObject } from './contract.js';
import { objectMeta } from './labels.js';
import { podTemplate, type ServiceContext } from './podTemplate.js';
import { versionOf } from './deployment.js';

/**
 * Retries of a failed Job pod before the Job fails, for a state rendered before berth.yaml had
 * `backoffLimit` (Kubernetes' default); a job's `backoffLimit` (default 0) otherwise.
 */
export const JOB_BACKOFF_LIMIT = 6;

/** The Job's `backoffLimit`: berth.yaml's, from the state's run kind. */
export function backoffLimitOf(ctx: ServiceContext): number {
  const run = ctx.state.run;
  return run && run.kind !== 'service' ? run.backoffLimit : JOB_BACKOFF_LIMIT;
}

/** Hex digits of the pod template's digest in a Job's name. */
export const JOB_DIGEST_LENGTH = 12;

/**
 * JSON as Go's encoding/json writes it (Helm's `toJson`): map keys sorted, `<`, `>`, `&`, U+2028 and
 * U+2029 escaped. The Helm export names a Job by `include … | fromYaml | toJson | sha256sum`, so the
 * digest of the same pod template is the same in `berth render` and `helm template`.
 */
export function goJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${goJson(k)}:${goJson(o[k])}`).join(',')}}`;
  }
  if (typeof v === 'string')
    return JSON.stringify(v).replace(
      /[<>&\u2028\u2029]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  return JSON.stringify(v ?? null);
}

/** The digest of a pod template that names its Job: sha256 of its Go JSON, first JOB_DIGEST_LENGTH hex digits. */
export function podTemplateDigest(template: unknown): string {
  return hash('sha256', goJson(template)).slice(0, JOB_DIGEST_LENGTH);
}

/**
 * `<service>-<digest of the pod template>`: a Job's pod template is immutable, so a Job whose template
 * changes in any way (image, config checksum, labels) is a new Job, and the old one is pruned.
 */
export function jobName(service: string, template: unknown): string {
  return `${service}-${podTemplateDigest(template)}`;
}

/** The Job spec shared by a Job and a CronJob's job template. */
export function jobSpec(ctx: ServiceContext): Record<string, unknown> {
  const n = Math.max(1, ctx.state.replicas);
  return { completions: n, parallelism: n, backoffLimit: backoffLimitOf(ctx), template: podTemplate(ctx) };
}

/** The Job of `ctx.state`; `replicas` is how many pods must complete (run in parallel). */
export function job(ctx: ServiceContext): KubernetesObject {
  const { input, state, shape } = ctx;
  const spec = jobSpec(ctx);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: objectMeta(input, jobName(state.service, spec.template), state.service, shape.kind, {
      ...versionOf(state.workload.image),
      annotations: { [ANNOTATION.hash]: state.hash },
    }),
    spec,
  };
}
