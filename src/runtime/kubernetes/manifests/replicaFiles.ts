/**
 * Per-replica values of `files:` content (spec/replicaValues.ts) on a cluster, where every pod of a
 * service mounts the same ConfigMap: resolved at render to what is the same for every pod —
 * `{{ replica.port }}` the declared port (each pod has its own IP), `{{ replica.configDir }}` the
 * mount path. `{{ replica.index }}` differs per pod and has no render-time value: a render problem.
 */
import type { Problem } from '../../../errors.js';
import { resolveReplicaTemplate, type ReplicaRef } from '../../../spec/replicaValues.js';
import type { ServiceState } from '../../../model/serviceState.js';

const INDEX_ON_CLUSTERS =
  '`{{ replica.index }}` differs per pod, and every pod of a service mounts the same files on Kubernetes: ' +
  "read the index when the pod starts instead (a stateful service's pod name ends in it: `web-2`)";

/** The content of `state`'s file number `i` on a cluster; what cannot be resolved goes to `problems`. */
export function clusterFileContent(state: ServiceState, i: number, configDir: string, problems: Problem[]): string {
  const file = state.workload.files[i]!;
  const ports = state.workload.ports;
  const value = (ref: ReplicaRef): string | { error: string } => {
    if (ref.kind === 'configDir') return configDir;
    if (ref.kind === 'index') return { error: INDEX_ON_CLUSTERS };
    const port = ref.name === undefined ? ports[0] : ports.find((p) => p.name === ref.name);
    return port ? String(port.port) : { error: `the service has no port ${ref.name ?? ''}`.trim() };
  };
  try {
    return resolveReplicaTemplate(file.content, value);
  } catch (err) {
    problems.push({ path: `services.${state.service}.files.${i}.content`, message: (err as Error).message });
    return file.content;
  }
}
