/**
 * Desired states and replica records for the container driver's tests (no engine needed to build
 * them; the engine's tests add the test image, test/support/testImages.ts).
 */
import type { ServiceState } from '../../model/serviceState.js';
import type { Workload } from '../../model/workload.js';
import { DEFAULT_RESTART_POLICY } from '../local/backoff.js';
import type { ReplicaRecord } from '../local/replicaStore.js';
import Docker from 'dockerode';
import { LABEL, homeIdOf } from './containerLaunch.js';

/** A service `svc` of app `app`/`env` that runs `image` as a container, with `over` merged into its workload. */
export function containerState(
  image: string,
  over: Partial<Workload> = {},
  state: Partial<ServiceState> = {},
): ServiceState {
  return {
    app: 'shop',
    env: 'local',
    service: 'web',
    revision: 1,
    configVersion: 1,
    hash: 'sha256:abc123',
    replicas: 1,
    workload: {
      image,
      runAs: 'container',
      env: {},
      files: [],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
      resources: {},
      terminationGracePeriodMs: 5_000,
      ...over,
    },
    rollout: { maxSurge: 1, maxUnavailable: 0, progressDeadlineMs: 60_000 },
    restart: DEFAULT_RESTART_POLICY,
    ...state,
  };
}

/** The record of replica `id` of `state` on host port `port` (and `ports` by name). */
export function containerRecord(
  state: ServiceState,
  id: string,
  port: number,
  ports?: Record<string, number>,
  index?: number,
): ReplicaRecord {
  return {
    id,
    app: state.app,
    env: state.env,
    service: state.service,
    hash: state.hash,
    revision: state.revision,
    port,
    ...(index !== undefined ? { index } : {}),
    ...(ports ? { ports } : {}),
    restarts: 0,
    backoffStreak: 0,
    created: new Date().toISOString(),
    spec: { terminationGracePeriodMs: state.workload.terminationGracePeriodMs },
  };
}

/**
 * Last-resort cleanup: removes every container of the Berth home `home` (by its label) through the
 * test engine at `socketPath` (Podman's or Docker's); returns their ids.
 */
export async function removeHomeContainers(home: string, socketPath: string): Promise<string[]> {
  const docker = new Docker({ socketPath });
  const found = await docker.listContainers({ all: true, filters: { label: [`${LABEL.home}=${homeIdOf(home)}`] } });
  for (const c of found)
    await docker
      .getContainer(c.Id)
      .remove({ force: true, t: 0 })
      .catch(() => undefined);
  return found.map((c) => c.Id);
}
