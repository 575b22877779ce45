/**
 * What a container replica is made of: the same 12-factor contract as a process replica
 * (replicaLaunch.ts), seen from inside the container. The service listens on its DECLARED ports
 * (published on 127.0.0.1 at the replica's host ports), its config directory is
 * /etc/berth/config (the path clusters use), volumes are at their declared paths, and addresses of
 * the machine's other services go through CONTAINER_HOST, since 127.0.0.1 is the container itself.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { RuntimeError } from '../../errors.js';
import { discoveryFor, portVariable } from '../../spec/templates.js';
import { CONTAINER_CONFIG_DIR } from '../../model/workload.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { ContainerLaunch, Launch } from '../local/runner.js';
import type { ReplicaRecord } from '../local/replicaStore.js';
import { mountDirs, volumeEnvName } from '../local/volumes.js';

/** The host name by which a container reaches the machine's 127.0.0.1 (set up by containerRunner.ts). */
export const CONTAINER_HOST = 'host.berth.internal';

/** The label keys by which Berth finds its containers again. */
export const LABEL = {
  home: 'berth.home',
  app: 'berth.app',
  env: 'berth.env',
  service: 'berth.service',
  replica: 'berth.replica',
  hash: 'berth.hash',
} as const;

/** A short id of a Berth home (its absolute path hashed), so two homes on one engine never meet. */
export function homeIdOf(home: string): string {
  return createHash('sha256').update(resolve(home)).digest('hex').slice(0, 10);
}

/** The engine's name of a replica's container: `berth-<homeId>-<app>-<env>-<replica>`. */
export function containerName(homeId: string, rec: Pick<ReplicaRecord, 'app' | 'env' | 'id'>): string {
  const name = `berth-${homeId}-${rec.app}-${rec.env}-${rec.id}`;
  // Names come from validated specs; this guards the engine's own rule all the same.
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name))
    throw new RuntimeError(`invalid container name ${JSON.stringify(name)}`);
  return name;
}

/** A runtime variable holding a machine-side address (a stateful replica's `<SVC>_<i>_HOST`). */
const REPLICA_HOST = /_\d+_HOST$/;

/**
 * How to (re)start replica `rec` of `state` as a container. `configDir` is the replica's config
 * directory on this machine; `runtimeEnv` what the runtime knows at start, as for a process
 * (volume directories from prepareVolumes, stateful replicas' addresses): volume variables become
 * the paths inside the container and loopback addresses CONTAINER_HOST.
 */
export function containerLaunchOf(
  state: ServiceState,
  rec: ReplicaRecord,
  configDir: string,
  runtimeEnv: Record<string, string>,
  homeId: string,
): Launch {
  const w = state.workload;
  if (!w.image) throw new RuntimeError(`${state.service}: runs as a container but has no image`);
  const tcp = w.ports.filter((p) => p.protocol === 'TCP');
  const hostPortOf = (name: string, i: number): number => {
    if (i === 0) return rec.port;
    const p = rec.ports && Object.hasOwn(rec.ports, name) ? rec.ports[name] : undefined;
    if (p === undefined) throw new RuntimeError(`${state.service}: replica ${rec.id} has no port for ${name}`);
    return p;
  };
  const ports: ContainerLaunch['ports'] =
    tcp.length === 0
      ? [{ containerPort: rec.port, hostPort: rec.port, protocol: 'tcp' }]
      : tcp.map((p, i) => ({ containerPort: p.port, hostPort: hostPortOf(p.name, i), protocol: 'tcp' }));
  const portEnv: Record<string, string> = { PORT: String(ports[0]!.containerPort) };
  for (const p of tcp) portEnv[`PORT_${portVariable(p.name)}`] = String(p.port);

  const mounts: ContainerLaunch['mounts'] = [{ source: configDir, target: CONTAINER_CONFIG_DIR, readOnly: true }];
  for (const f of w.files) {
    if (f.mountPath !== undefined)
      mounts.push({ source: resolve(configDir, f.path), target: f.mountPath, readOnly: true });
  }
  const volumeEnv: Record<string, string> = {};
  for (const { mount } of mountDirs(state, rec.index)) {
    const name = volumeEnvName(mount.volume);
    const source = Object.hasOwn(runtimeEnv, name) ? runtimeEnv[name] : undefined;
    if (source === undefined) throw new RuntimeError(`${state.service}: volume ${mount.volume} was not prepared`);
    mounts.push({ source, target: mount.path, readOnly: mount.readOnly });
    volumeEnv[name] = mount.path;
    if (mount.env !== undefined) volumeEnv[mount.env] = mount.path;
  }
  const runtime: Record<string, string> = {};
  for (const [k, v] of Object.entries(runtimeEnv)) {
    runtime[k] = REPLICA_HOST.test(k) && (v === '127.0.0.1' || v === 'localhost') ? CONTAINER_HOST : v;
  }

  const env: Record<string, string> = {
    ...(state.discovery ? discoveryFor(state.service, state.discovery, w.ports) : {}),
    ...w.env,
    ...runtime,
    ...volumeEnv,
    ...portEnv,
    BERTH_CONFIG_DIR: CONTAINER_CONFIG_DIR,
    BERTH_APP: state.app,
    BERTH_ENV: state.env,
    BERTH_SERVICE: state.service,
    BERTH_REPLICA: rec.id,
    ...(rec.index !== undefined ? { BERTH_REPLICA_INDEX: String(rec.index) } : {}),
  };
  const limits = w.resources;
  const container: ContainerLaunch = {
    name: containerName(homeId, rec),
    image: w.image,
    ...(w.imageDigest ? { digest: w.imageDigest } : {}),
    pullPolicy: w.imagePullPolicy ?? 'IfNotPresent',
    ...(state.registryAuth ? { auth: state.registryAuth } : {}),
    ...(w.entrypoint ? { entrypoint: w.entrypoint } : {}),
    ...(w.command ? { cmd: w.command } : {}),
    ...(w.cwd ? { workingDir: w.cwd } : {}),
    ports,
    mounts,
    ...(limits.memoryLimitBytes !== undefined ? { memoryBytes: limits.memoryLimitBytes } : {}),
    ...(limits.cpuLimitMillis !== undefined ? { nanoCpus: limits.cpuLimitMillis * 1_000_000 } : {}),
    labels: {
      [LABEL.home]: homeId,
      [LABEL.app]: state.app,
      [LABEL.env]: state.env,
      [LABEL.service]: state.service,
      [LABEL.replica]: rec.id,
      [LABEL.hash]: state.hash,
    },
  };
  return { command: [], env, container };
}
