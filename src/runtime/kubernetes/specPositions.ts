/**
 * Problems the Kubernetes schemas find in rendered objects (`Deployment/web spec.replicas: must match
 * format "int32"`), placed where the user wrote the value: the berth.yaml field the object's field
 * was rendered from, with its file, line and column, like every other problem. A field without a
 * known source points at its service (or at `routes` for the edge's objects).
 */
import { ValidationError, type Problem } from '../../errors.js';
import type { LoadedSpec } from '../../spec/load.js';

type Located = Pick<LoadedSpec, 'spec' | 'file' | 'positionOf'>;

/** Pod template prefixes of the workload kinds, longest first. */
const POD_SPEC = ['spec.jobTemplate.spec.template.spec.', 'spec.template.spec.'];

const PROBES: Record<string, string> = {
  readinessProbe: 'readiness',
  livenessProbe: 'liveness',
  startupProbe: 'startup',
};
const PROBE_FIELDS: Record<string, string> = {
  periodSeconds: 'period',
  timeoutSeconds: 'timeout',
  initialDelaySeconds: 'initialDelay',
  failureThreshold: 'failureThreshold',
  successThreshold: 'successThreshold',
};
const CONTAINER_FIELDS: Record<string, string> = {
  image: 'image',
  command: 'command',
  args: 'command',
  workingDir: 'cwd',
  env: 'env',
  resources: 'resources',
};

/** The berth.yaml path under `services.<name>` a Kubernetes field path was rendered from, or []. */
export function serviceFieldOf(kind: string, k8sPath: string): (string | number)[] {
  if (kind === 'HorizontalPodAutoscaler') {
    if (k8sPath.startsWith('spec.minReplicas')) return ['autoscale', 'min'];
    if (k8sPath.startsWith('spec.maxReplicas')) return ['autoscale', 'max'];
    return ['autoscale'];
  }
  if (kind === 'Service') {
    const port = /^spec\.ports\.(\d+)/.exec(k8sPath);
    return port ? ['ports', Number(port[1])] : ['ports'];
  }
  if (k8sPath.startsWith('spec.replicas')) return ['replicas'];
  const prefix = POD_SPEC.find((p) => k8sPath.startsWith(p));
  if (prefix === undefined) return [];
  const pod = k8sPath.slice(prefix.length).split('.');
  if (pod[0] === 'terminationGracePeriodSeconds') return ['terminationGracePeriod'];
  if (pod[0] !== 'containers' || pod[2] === undefined) return [];
  const field = pod[2];
  const probe = Object.hasOwn(PROBES, field) ? PROBES[field] : undefined;
  if (probe !== undefined) {
    const sub = pod[3] !== undefined && Object.hasOwn(PROBE_FIELDS, pod[3]) ? PROBE_FIELDS[pod[3]] : undefined;
    return sub === undefined ? ['health', probe] : ['health', probe, sub];
  }
  if (field === 'ports') return pod[3] === undefined ? ['ports'] : ['ports', Number(pod[3])];
  if (field === 'env' || field === 'resources') return [field];
  return Object.hasOwn(CONTAINER_FIELDS, field) ? [CONTAINER_FIELDS[field]!] : [];
}

/** The service an object belongs to: its name is `<service>` or `<service>-<suffix>` (longest match). */
function serviceOf(objectName: string, services: string[]): string | undefined {
  let best: string | undefined;
  for (const s of services)
    if ((objectName === s || objectName.startsWith(`${s}-`)) && (best === undefined || s.length > best.length))
      best = s;
  return best;
}

/** Whether a ValidationError is the Kubernetes schemas' verdict on rendered objects. */
function isObjectsError(err: ValidationError): boolean {
  return (
    err.problems.length > 0 &&
    err.problems.every((p) => p.line === undefined && /^[A-Za-z]+\/[^/]+$/.test(p.file ?? ''))
  );
}

/** One object problem placed in berth.yaml; the Kubernetes object and field stay in the message. */
function locate(p: Problem, loaded: Located): Problem {
  const [kind = '', name = ''] = (p.file ?? '').split('/');
  const services = Object.keys(loaded.spec.services);
  const service = serviceOf(name, services);
  const path: (string | number)[] =
    service !== undefined
      ? ['services', service, ...serviceFieldOf(kind, p.path)]
      : kind === 'Ingress' || kind === 'HTTPRoute'
        ? ['routes']
        : [];
  const pos = loaded.positionOf(path) ?? { line: 1, column: 1 };
  return {
    file: loaded.file,
    line: pos.line,
    column: pos.column,
    path: path.join('.'),
    message: `Kubernetes ${p.file}${p.path ? ` ${p.path}` : ''}: ${p.message}`,
  };
}

/** Runs a render; a problem the Kubernetes schemas find in its objects is rethrown at its berth.yaml position. */
export function withSpecPositions<T>(loaded: Located, render: () => T): T {
  try {
    return render();
  } catch (err) {
    if (!(err instanceof ValidationError) || !isObjectsError(err)) throw err;
    throw new ValidationError(
      err.message,
      err.problems.map((p) => locate(p, loaded)),
      { cause: err },
    );
  }
}
