/**
 * Which services are jobs, and how often a job is retried. A compose service is a one-shot task
 * when others wait for it to finish (`depends_on: { x: { condition: service_completed_successfully } }`)
 * or when compose never restarts it (`restart: "no"`) and it runs a command of its own that nothing
 * else treats as a server (no ports, no healthcheck, nobody reaches it by host name or waits for it
 * to be healthy). It becomes `kind: job`: run to completion once per change of the job, a failure
 * fails the release; `restart: on-failure:N` is its `backoffLimit`.
 */
import type { ServiceContext } from './context.js';
import { problemAt } from './context.js';
import type { ServiceRef } from './discovery.js';
import { testOf } from './mapDependsOn.js';

/** Retries Kubernetes gives a Job by default: written for compose's unbounded `on-failure`. */
const UNBOUNDED_RETRIES = 6;

/** Why a never-restarted service is not a one-shot task, or undefined when it is one. */
function serverSigns(s: ServiceContext, reachedBy: string[]): string | undefined {
  const { svc } = s;
  const signs: string[] = [];
  if (!svc.command?.length && !svc.entrypoint?.length)
    signs.push("it runs its image's own command, which Berth cannot tell ends");
  if (svc.ports?.length || svc.expose?.length) signs.push('it listens on ports');
  const test = svc.healthcheck?.disable ? undefined : testOf(svc.healthcheck?.test);
  if (test !== undefined && test !== 'NONE') signs.push('it has a healthcheck');
  if (reachedBy.length) signs.push(`${[...new Set(reachedBy)].join(', ')} reach it by host name`);
  const healthy = Object.entries(s.compose.services)
    .filter(([, o]) => {
      const deps = o?.depends_on;
      return deps && !Array.isArray(deps) && deps[s.composeName]?.condition === 'service_healthy';
    })
    .map(([n]) => n);
  if (healthy.length) signs.push(`${healthy.join(', ')} wait for it to be healthy`);
  return signs.length ? signs.join(', ') : undefined;
}

/** The compose key that says the service is never restarted, if one does. */
function neverRestarted(s: ServiceContext): { at: (string | number)[]; what: string } | undefined {
  if (s.svc.restart === 'no') return { at: [...s.path, 'restart'], what: '`restart: "no"`' };
  if (s.svc.deploy?.restart_policy?.condition === 'none')
    return { at: [...s.path, 'deploy', 'restart_policy', 'condition'], what: '`restart_policy.condition: none`' };
  return undefined;
}

/** Sets `kind: job` on the one-shot services; refs are the service references found in values. */
export function decideJobs(services: ServiceContext[], refs: readonly { ref: ServiceRef; by: string }[]): void {
  for (const s of services) {
    const to = `services.${s.name}.kind`;
    const waiting = s.jobs.get(s.composeName);
    const never = neverRestarted(s);
    const job = (reason: string) => {
      s.out.kind = 'job';
      s.report.changed(
        s.path,
        to,
        `${reason}: \`kind: job\`, run to completion once per change of the job; a failed run fails the release`,
      );
    };
    if (waiting) {
      job(
        `${waiting.join(', ')} wait${waiting.length === 1 ? 's' : ''} for it to finish (\`service_completed_successfully\`)`,
      );
      if (never) s.report.mapped(never.at, to, 'never restarted: a job');
      continue;
    }
    if (!never) continue;
    const signs = serverSigns(
      s,
      refs.filter((r) => r.ref.composeName === s.composeName).map((r) => r.by.replace(/ \(.*$/, '')),
    );
    if (signs) {
      s.report.unmapped(
        never.at,
        `${never.what}, but it stays a service (${signs}): berth.yaml has no never-restart policy for services, Berth restarts replicas that exit; make it \`kind: job\` if it is a task that ends`,
      );
      continue;
    }
    job(`${never.what} and a command of its own: a one-shot task`);
    s.report.mapped(never.at, to, 'never restarted, no ports, no healthcheck, not reached by others: a job');
  }
}

/** A job's retries from `restart` and `deploy.restart_policy` (instead of a service's restart mapping). */
export function mapJobRestart(ctx: ServiceContext): void {
  const to = `services.${ctx.name}.backoffLimit`;
  const policy = ctx.svc.restart;
  if (policy && policy !== 'no') {
    const at = [...ctx.path, 'restart'];
    const m = /^on-failure(?::(\d+))?$/.exec(policy);
    if (m?.[1] !== undefined) {
      ctx.out.backoffLimit = Number(m[1]);
      ctx.report.mapped(at, to, `a failed run is retried ${m[1]} times`);
    } else if (m || policy === 'always' || policy === 'unless-stopped') {
      ctx.out.backoffLimit = UNBOUNDED_RETRIES;
      ctx.report.changed(
        at,
        to,
        `\`${policy}\` retries without end; a job is retried ${UNBOUNDED_RETRIES} times (Kubernetes' default), then fails the release${m ? '' : ', and is not run again once it succeeded'}`,
      );
    } else problemAt(ctx, at, `\`${policy}\` is not a restart policy (no, always, on-failure[:N], unless-stopped)`);
  }
  const rp = ctx.svc.deploy?.restart_policy;
  if (!rp) return;
  const at = [...ctx.path, 'deploy', 'restart_policy'];
  if (rp.max_attempts !== undefined && rp.condition !== 'none') {
    ctx.out.backoffLimit = rp.max_attempts;
    ctx.report.mapped([...at, 'max_attempts'], to, `a failed run is retried ${rp.max_attempts} times`);
  }
  // `condition: none` that made the service a job is reported by decideJobs.
  if (rp.condition !== undefined && neverRestarted(ctx)?.at.at(-1) !== 'condition')
    ctx.report.mapped(
      [...at, 'condition'],
      to,
      rp.condition === 'none'
        ? 'never restarted: a failed run is not retried'
        : 'a job is retried when it fails, up to `backoffLimit` times',
    );
}
