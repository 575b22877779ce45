/**
 * `container.json` in a replica directory: which container runs the replica (written atomically
 * once created, updated once started), so a restarted control plane adopts it and the sweep at
 * start knows which of its containers are still wanted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listReplicaDirs, listServiceDirs, serviceDir } from '../local/replicaStore.js';

/** The file naming a replica's container, for adoption. */
export const CONTAINER_FILE = 'container.json';

/** Contents of container.json. */
export interface ContainerFile {
  id: string;
  name: string;
  /** Set once the engine started it (before: the control plane died while creating it). */
  started: boolean;
  /** The container's init process as the host sees it (0 when not visible: another pid namespace). */
  pid: number;
  /** Its start time in /proc, so a reused pid is not taken for it; -1 when not visible. */
  startTime: number;
  ports: { containerPort: number; hostPort: number }[];
}

/** container.json of the replica in `dir`; undefined when there is none (or it is unreadable). */
export function readContainerFile(dir: string): ContainerFile | undefined {
  try {
    const f = JSON.parse(readFileSync(join(dir, CONTAINER_FILE), 'utf8')) as Partial<ContainerFile>;
    if (typeof f.id !== 'string' || typeof f.name !== 'string') return undefined;
    return {
      id: f.id,
      name: f.name,
      started: f.started === true,
      pid: typeof f.pid === 'number' ? f.pid : 0,
      startTime: typeof f.startTime === 'number' ? f.startTime : -1,
      ports: Array.isArray(f.ports) ? f.ports : [],
    };
  } catch {
    return undefined;
  }
}

/** The ids of the containers the replica directories under `home` name (the replicas Berth keeps). */
export function containersOnDisk(home: string): Set<string> {
  const ids = new Set<string>();
  for (const s of listServiceDirs(home)) {
    for (const dir of listReplicaDirs(serviceDir(home, s.app, s.env, s.service))) {
      const f = readContainerFile(dir);
      if (f) ids.add(f.id);
    }
  }
  return ids;
}
