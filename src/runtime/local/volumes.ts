/**
 * Named volumes on one machine: `<home>/volumes/<app>/<env>/<volume>` (replica i of a stateful
 * service gets its own `<volume>-<i>`, like a volumeClaimTemplate's `pgdata-0`), created 0700 before a
 * replica that mounts it starts and given to it as `BERTH_VOLUME_<NAME>` and the mount's `env`. They
 * live outside `<home>/run`, so removing a service or the whole app (`berth down`) leaves them; only
 * `removeVolumes` deletes one. `volumes.json` beside them remembers, per directory, its volume and
 * index, and per volume its requested size and the services that mount it now (for `berth volume ls`).
 */
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError, RuntimeError } from '../../errors.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { VolumeMount, VolumeStatus } from '../../model/volumes.js';
import { checkName, subdirs } from './replicaStore.js';
import { writeJsonAtomic } from './shimFiles.js';
import { DNS_LABEL } from '../../model/names.js';

/** The file beside the volume directories (a volume name has no dot, so it is never one of them). */
const META_FILE = 'volumes.json';

interface VolumesMeta {
  /** Directory name → the volume it holds and, for a stateful replica's copy, its index. */
  dirs: Record<string, { volume: string; index?: number }>;
  /** Volume → its requested size and the services mounting it in the running release. */
  volumes: Record<string, { sizeBytes?: number; services: string[] }>;
}

/** `<home>/volumes`. */
export function volumesRoot(home: string): string {
  return join(home, 'volumes');
}

function envDir(home: string, app: string, env: string): string {
  return join(volumesRoot(home), checkName('app', app), checkName('env', env));
}

/** `BERTH_VOLUME_<NAME>`: the volume name upper-cased, `-` as `_`. */
export function volumeEnvName(volume: string): string {
  return `BERTH_VOLUME_${volume.toUpperCase().replace(/-/g, '_')}`;
}

/** Whether the state's replicas each get their own copy of every volume (StatefulSet semantics). */
export function isStateful(state: Pick<ServiceState, 'run'>): boolean {
  return state.run?.kind === 'service' && state.run.stateful;
}

/** The directory name of each mount for the replica with `index`: `<volume>-<index>` when stateful. */
export function mountDirs(
  state: Pick<ServiceState, 'run' | 'workload'>,
  index: number | undefined,
): { mount: VolumeMount; dir: string }[] {
  const perReplica = isStateful(state) && index !== undefined;
  return (state.workload.volumes ?? []).map((mount) => ({
    mount,
    dir: perReplica ? `${mount.volume}-${index}` : mount.volume,
  }));
}

/**
 * Creates (0700) the directories of a replica's mounts and returns the variables that point at them.
 * Existing data is never touched, only the directory's mode.
 */
export function prepareVolumes(
  home: string,
  state: Pick<ServiceState, 'app' | 'env' | 'run' | 'workload'>,
  index: number | undefined,
): Record<string, string> {
  const mounts = mountDirs(state, index);
  if (mounts.length === 0) return {};
  const base = envDir(home, state.app, state.env);
  const meta = readMeta(base);
  const env: Record<string, string> = {};
  let changed = false;
  for (const { mount, dir } of mounts) {
    const path = join(base, volumeDirName(dir));
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chmodSync(path, 0o700);
    if (!Object.hasOwn(meta.dirs, dir)) {
      meta.dirs[dir] = { volume: mount.volume, ...(dir !== mount.volume ? { index } : {}) };
      changed = true;
    }
    env[volumeEnvName(mount.volume)] = path;
    if (mount.env !== undefined) env[mount.env] = path;
  }
  if (changed) writeMeta(base, meta);
  return env;
}

/** Records which volumes `service` mounts in the release being converged (and their sizes). */
export function recordMounts(home: string, app: string, env: string, service: string, mounts: VolumeMount[]): void {
  const base = envDir(home, app, env);
  const meta = readMeta(base);
  const before = JSON.stringify(meta);
  const mounted = new Map(mounts.map((m) => [m.volume, m]));
  for (const [volume, v] of Object.entries(meta.volumes)) {
    if (!mounted.has(volume)) v.services = v.services.filter((s) => s !== service);
  }
  for (const [volume, m] of mounted) {
    const v = Object.hasOwn(meta.volumes, volume) ? meta.volumes[volume]! : { services: [] };
    if (!v.services.includes(service)) v.services = [...v.services, service].sort();
    if (m.sizeBytes !== undefined) v.sizeBytes = m.sizeBytes;
    else delete v.sizeBytes;
    meta.volumes[volume] = v;
  }
  if (JSON.stringify(meta) !== before && (mounted.size > 0 || Object.keys(meta.dirs).length > 0)) writeMeta(base, meta);
}

/** Forgets that `services` (every service when absent) mount anything: they were removed; the data stays. */
export function forgetMounts(home: string, app: string, env: string, services?: string[]): void {
  const base = envDir(home, app, env);
  const meta = readMeta(base);
  if (Object.keys(meta.volumes).length === 0) return;
  for (const v of Object.values(meta.volumes)) {
    v.services = services ? v.services.filter((s) => !services.includes(s)) : [];
  }
  writeMeta(base, meta);
}

/** The volumes kept for `env` (of `app` only, when given), with the bytes each one uses. */
export async function listVolumes(home: string, env: string, app?: string): Promise<VolumeStatus[]> {
  const apps = app !== undefined ? [checkName('app', app)] : subdirs(volumesRoot(home));
  const out: VolumeStatus[] = [];
  for (const a of apps) {
    const base = envDir(home, a, env);
    const meta = readMeta(base);
    for (const dir of subdirs(base)) {
      const d = Object.hasOwn(meta.dirs, dir) ? meta.dirs[dir]! : { volume: dir };
      const v = Object.hasOwn(meta.volumes, d.volume) ? meta.volumes[d.volume] : undefined;
      const path = join(base, dir);
      out.push({
        app: a,
        env,
        volume: d.volume,
        ...(d.index !== undefined ? { index: d.index } : {}),
        name: dir,
        usedBytes: await usedBytes(path),
        ...(v?.sizeBytes !== undefined ? { sizeBytes: v.sizeBytes } : {}),
        services: v?.services ?? [],
        path,
      });
    }
  }
  return out;
}

/**
 * Deletes `volume`'s directories (its per-replica copies included; every volume when absent).
 * `inUse` are directory names a live replica of the app mounts: asking for one of those is a
 * ConflictError and nothing is deleted.
 */
export async function removeVolumes(
  home: string,
  app: string,
  env: string,
  volume: string | undefined,
  inUse: ReadonlyMap<string, string>,
): Promise<VolumeStatus[]> {
  const base = envDir(home, app, env);
  const victims = (await listVolumes(home, env, app)).filter((v) => volume === undefined || v.volume === volume);
  if (volume !== undefined && victims.length === 0) {
    throw new NotFoundError(`${app}/${env} has no volume ${volume} on this machine`);
  }
  const busy = victims.filter((v) => inUse.has(v.name));
  if (busy.length > 0) {
    const which = busy.map((v) => `${v.name} (mounted by ${inUse.get(v.name)})`).join(', ');
    throw new ConflictError(`cannot remove ${which} while it runs; take the app down first (berth down ${app})`);
  }
  const meta = readMeta(base);
  for (const v of victims) rmSync(v.path, { recursive: true, force: true });
  const gone = new Set(victims.map((v) => v.name));
  meta.dirs = Object.fromEntries(Object.entries(meta.dirs).filter(([dir]) => !gone.has(dir)));
  if (subdirs(base).length === 0) rmSync(base, { recursive: true, force: true });
  else writeMeta(base, meta);
  return victims;
}

/** Apparent size of every file under `path` (symbolic links counted as themselves, never followed). */
async function usedBytes(path: string): Promise<number> {
  let total = 0;
  const stack = [path];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) stack.push(p);
      else
        total += await lstat(p).then(
          (s) => s.size,
          () => 0,
        );
    }
  }
  return total;
}

/** Refuses a directory name that could escape the app's volume folder (names come from a validated spec). */
function volumeDirName(dir: string): string {
  if (!DNS_LABEL.test(dir)) throw new RuntimeError(`invalid volume name ${JSON.stringify(dir)}`);
  return dir;
}

function readMeta(base: string): VolumesMeta {
  try {
    const m = JSON.parse(readFileSync(join(base, META_FILE), 'utf8')) as Partial<VolumesMeta>;
    return { dirs: m.dirs ?? {}, volumes: m.volumes ?? {} };
  } catch {
    return { dirs: {}, volumes: {} };
  }
}

function writeMeta(base: string, meta: VolumesMeta): void {
  mkdirSync(base, { recursive: true, mode: 0o700 });
  writeJsonAtomic(join(base, META_FILE), meta, 0o600);
}
