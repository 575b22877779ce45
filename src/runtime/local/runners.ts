/**
 * Which runner runs a replica: a process under its shim, or (for a replica recorded as a container)
 * the container runner the runtime was given. The local runtime makes one factory and hands it to
 * every replica set.
 */
import { RuntimeError } from '../../errors.js';
import { processArgv } from '../../model/workload.js';
import type { ServiceState } from '../../model/serviceState.js';
import { ProcessRunner, type ProcessRunnerDeps } from './processRunner.js';
import type { ReplicaRecord } from './replicaStore.js';
import type { Runner } from './runner.js';

/** Makes the runner of a container replica (src/runtime/container). */
export type ContainerRunnerOf = (rec: ReplicaRecord, dir: string) => Runner;

export function runnerFactory(
  processes: ProcessRunnerDeps,
  containers: ContainerRunnerOf | undefined,
): (rec: ReplicaRecord, dir: string) => Runner {
  return (rec, dir) =>
    rec.runAs === 'container' && containers ? containers(rec, dir) : new ProcessRunner(processes, dir, rec);
}

/** Refuses a state this runtime cannot run: a container without container support, a process without a command. */
export function checkRunnable(state: ServiceState, containers: boolean): void {
  if (state.workload.runAs === 'container') {
    if (!containers)
      throw new RuntimeError(
        `${state.service}: this runtime runs no containers (run it as a process: give it a \`command\`)`,
      );
  } else if (processArgv(state.workload).length === 0) {
    throw new RuntimeError(
      `${state.service}: the workload has no command to run as a process (give it a \`command\`, or run its image as a container: \`runAs: container\`)`,
    );
  }
}
