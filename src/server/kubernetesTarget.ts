/**
 * The manifest options of a render for Kubernetes, from the environment rendered for: its namespace
 * (a namespace asked for must be it), traffic router, Gateway, storage and CronJob time zone, as the
 * control plane's Kubernetes runtime of that environment has them (daemon.ts). An environment on this
 * machine renders into the namespace asked for, else one named after it. Pure.
 */
import { clusterStorage, type Environment } from '../environment/environments.js';
import { ValidationError } from '../errors.js';
import type { ManifestOptions } from '../runtime/kubernetes/manifests/contract.js';

export interface KubernetesTargetRequest {
  env: string;
  /** For an environment that does not target Kubernetes; default: the environment's name. */
  namespace?: string | undefined;
  kubernetesVersion?: string | undefined;
  ingressClassName?: string | undefined;
  secrets: ManifestOptions['secrets'];
}

export function kubernetesTargetOptions(environment: Environment, req: KubernetesTargetRequest): ManifestOptions {
  const asked = {
    secrets: req.secrets,
    ...(req.kubernetesVersion ? { kubernetesVersion: req.kubernetesVersion } : {}),
    ...(req.ingressClassName ? { ingressClassName: req.ingressClassName } : {}),
  };
  const t = environment.target;
  if (t.kind !== 'kubernetes') return { namespace: req.namespace ?? req.env, ...asked };
  if (req.namespace !== undefined && req.namespace !== t.namespace)
    throw new ValidationError(`environment ${req.env} deploys to namespace ${t.namespace}`, [
      { file: 'request body', path: 'namespace', message: `environment ${req.env} targets namespace ${t.namespace}` },
    ]);
  return {
    namespace: t.namespace,
    ...asked,
    ...(t.trafficRouter ? { trafficRouter: t.trafficRouter } : {}),
    ...(t.gateway ? { gateway: t.gateway } : {}),
    ...clusterStorage(t),
  };
}
