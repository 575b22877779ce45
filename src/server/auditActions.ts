/**
 * What the control plane does on someone's behalf, recorded in the audit log like a call
 * (docs/access.md "Audit log"): a pipeline's deploy step releasing an app. The actor is the control
 * plane's pipeline (`pipeline:<app>`, kind system) and `onBehalfOf` the run's author (who started it,
 * or the webhook that did).
 */
import type { AuditLog } from '../audit/auditLog.js';
import { toBerthError, httpStatusOf } from '../errors.js';
import type { PipelineDeployer } from '../pipelines/stepPorts.js';

/** `deployer` whose every deploy is recorded (after it is made or refused, before the step goes on). */
export function auditedDeployer(deployer: PipelineDeployer, audit: Pick<AuditLog, 'append'>): PipelineDeployer {
  return {
    ...deployer,
    async deploy(req) {
      const base = {
        actor: { name: `pipeline:${req.app}`, kind: 'system' as const, onBehalfOf: req.author },
        operation: { id: 'pipelineDeploy', method: 'PIPELINE', route: 'pipeline step: deploy' },
        summary: { message: req.message, ...(req.commit ? { commit: req.commit } : {}), specFile: req.specFile },
      };
      try {
        const release = await deployer.deploy(req);
        await audit.append({
          ...base,
          target: { app: req.app, env: req.env, object: { revision: String(release.revision) } },
          outcome: { kind: 'ok', status: 202 },
        });
        return release;
      } catch (err) {
        const e = toBerthError(err);
        const status = httpStatusOf(e);
        await audit.append({
          ...base,
          target: { app: req.app, env: req.env },
          outcome: { kind: status >= 500 ? 'failed' : 'refused', status, code: e.code, message: e.message },
        });
        throw err;
      }
    },
  };
}
