/**
 * What the control plane does on someone's behalf, recorded in the audit log like a call
 * (docs/access.md "Audit log"): a pipeline's deploy step releasing an app — and, through
 * `onBehalfOf`, any such action (an approved request that runs). The actor is the control plane's
 * part that acts (`pipeline:<app>`, kind system) and `onBehalfOf` who asked for it.
 */
import type { AuditLog } from '../audit/auditLog.js';
import type { AuditTarget } from '../model/audit.js';
import { toBerthError, httpStatusOf } from '../errors.js';
import type { PipelineDeployer } from '../pipelines/stepPorts.js';
import type { ApprovalExecutor } from '../approvals/approvals.js';

/** An action of the control plane for someone. */
export interface OnBehalf {
  /** The part that acts: `pipeline:shop`, `approvals`. */
  actor: string;
  /** Who asked for it (a run's author, a request's author). */
  onBehalfOf: string;
  /** What it does, as an operationId-like name (`pipelineDeploy`, `approvedDeploy`). */
  operation: string;
  target: AuditTarget;
  summary?: unknown;
}

/**
 * Runs `act` and records it, made or refused, before its result is returned (an append that fails
 * fails the action's caller, as a call's answer would); `targetOf` adds what the result names.
 */
export async function onBehalfOf<T>(
  audit: Pick<AuditLog, 'append'>,
  o: OnBehalf,
  act: () => Promise<T>,
  targetOf: (result: T) => AuditTarget = () => o.target,
): Promise<T> {
  const base = {
    actor: { name: o.actor, kind: 'system' as const, onBehalfOf: o.onBehalfOf },
    operation: { id: o.operation, method: 'ACTION', route: o.operation },
    ...(o.summary === undefined ? {} : { summary: o.summary }),
  };
  let result: T;
  try {
    result = await act();
  } catch (err) {
    const e = toBerthError(err);
    const status = httpStatusOf(e);
    await audit.append({
      ...base,
      target: o.target,
      outcome: { kind: status >= 500 ? 'failed' : 'refused', status, code: e.code, message: e.message },
    });
    throw err;
  }
  await audit.append({ ...base, target: targetOf(result), outcome: { kind: 'ok', status: 200 } });
  return result;
}

/** `deployer` whose every deploy is recorded (after it is made or refused, before the step goes on). */
export function auditedDeployer(deployer: PipelineDeployer, audit: Pick<AuditLog, 'append'>): PipelineDeployer {
  return {
    ...deployer,
    deploy: (req) =>
      onBehalfOf(
        audit,
        {
          actor: `pipeline:${req.app}`,
          onBehalfOf: req.author,
          operation: 'pipelineDeploy',
          target: { app: req.app, env: req.env },
          summary: { message: req.message, ...(req.commit ? { commit: req.commit } : {}), specFile: req.specFile },
        },
        () => deployer.deploy(req),
        (release) => ({ app: req.app, env: req.env, object: { revision: String(release.revision) } }),
      ),
  };
}

/** `executor` whose every approved operation is recorded as the approvals part acting for the request's author. */
export function auditedExecutor(executor: ApprovalExecutor, audit: Pick<AuditLog, 'append'>): ApprovalExecutor {
  return {
    ...executor,
    run: (a, request, marker) =>
      onBehalfOf(
        audit,
        {
          actor: 'approvals',
          onBehalfOf: a.author,
          operation: `approved:${a.action}`,
          target: { app: a.app, env: a.env, object: { approval: String(a.id) } },
          summary: { approval: a.id, reason: a.reason, approvedBy: a.approvals.map((v) => v.name) },
        },
        () => executor.run(a, request, marker),
        (result) => ({
          app: a.app,
          env: a.env,
          object: {
            approval: String(a.id),
            ...(result.revision !== undefined ? { revision: String(result.revision) } : {}),
            ...(result.configVersion !== undefined ? { configVersion: String(result.configVersion) } : {}),
          },
        }),
      ),
  };
}
