/**
 * A replica's own config directory, `<replicaDir>/config` (`$BERTH_CONFIG_DIR`): the service's
 * `files` with their per-replica values (`{{ replica.port }}`, spec/replicaValues.ts) resolved for
 * this replica. Written once before the replica's first start, complete or not at all (a temporary
 * directory renamed into place), and removed with the replica's directory.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../../errors.js';
import { resolveReplicaTemplate, type ReplicaRef } from '../../spec/replicaValues.js';
import { discoveryPrefix } from '../../spec/templates.js';
import type { WorkloadFile } from '../../model/workload.js';
import type { WorkloadPort } from '../../model/ports.js';
import { writeConfigFiles } from './configFiles.js';

/** The folder of a replica directory that is its `$BERTH_CONFIG_DIR`. */
export const REPLICA_CONFIG_DIR = 'config';

/** `$BERTH_CONFIG_DIR` of the replica in `replicaDir`. */
export function replicaConfigDir(replicaDir: string): string {
  return join(replicaDir, REPLICA_CONFIG_DIR);
}

/** What a replica's per-replica values are made of. */
export interface ReplicaValueSource {
  /** The replica's port (`$PORT`): its first port's. */
  port: number;
  /** Its slot among the replicas of its version, when it has one. */
  index?: number;
  ports: readonly WorkloadPort[];
  /** The replica's environment: a named port other than the first is its `PORT_<NAME>`. */
  env: Readonly<Record<string, string>>;
  /** Its config directory as the replica sees it (a container's /etc/berth/config); absent: where it is written. */
  configDir?: string;
}

/** The value of `ref` for a replica whose config directory is `configDir`. */
function valueOf(ref: ReplicaRef, src: ReplicaValueSource, configDir: string): string | { error: string } {
  if (ref.kind === 'configDir') return src.configDir ?? configDir;
  if (ref.kind === 'index') {
    return src.index === undefined ? { error: 'this replica has no index' } : String(src.index);
  }
  if (ref.name === undefined || ref.name === src.ports[0]?.name) return String(src.port);
  const envName = `PORT_${discoveryPrefix(ref.name)}`;
  const own = Object.hasOwn(src.env, envName) ? src.env[envName] : undefined;
  if (own !== undefined) return own;
  return { error: `the replica has no port of its own for \`${ref.name}\` (no $${envName})` };
}

/** The files of a replica, their per-replica values resolved. */
export function resolveReplicaFiles(
  files: readonly WorkloadFile[],
  src: ReplicaValueSource,
  configDir: string,
): WorkloadFile[] {
  return files.map((f) => {
    if (!f.perReplica) return f;
    try {
      return { ...f, content: resolveReplicaTemplate(f.content, (ref) => valueOf(ref, src, configDir)) };
    } catch (err) {
      throw new RuntimeError(`config file ${f.path}: ${(err as Error).message}`);
    }
  });
}

/** Writes the config directory of the replica in `replicaDir` unless it is there already. */
export function writeReplicaConfig(replicaDir: string, files: readonly WorkloadFile[], src: ReplicaValueSource): void {
  const dir = replicaConfigDir(replicaDir);
  if (existsSync(dir)) return;
  const resolved = resolveReplicaFiles(files, src, dir);
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  writeConfigFiles(tmp, resolved);
  renameSync(tmp, dir);
}

/** The lowest index not in `taken`: a new replica's slot among its version's replicas. */
export function freeIndex(taken: Iterable<number | undefined>): number {
  const used = new Set(taken);
  let i = 0;
  while (used.has(i)) i++;
  return i;
}
