/**
 * What a new replica of a desired state is made of: its id, the record written before its shim is
 * spawned (no environment: it may hold secrets), and how to launch its command (the environment the
 * 12-factor contract promises: `$PORT`, `$BERTH_CONFIG_DIR`, discovery variables, the machine's basics).
 */
import { randomBytes } from 'node:crypto';
import { processArgv } from '../../model/workload.js';
import { Track } from '../../model/routing.js';
import type { ServiceState } from '../../model/serviceState.js';
import { discoveryFor, portVariable } from '../../spec/templates.js';
import type { Launch } from './runner.js';
import { isStateful, mountDirs } from './volumes.js';
import type { ReplicaRecord } from './replicaStore.js';

/** Variables of the machine a process needs to behave normally (a container image would set them). */
const INHERITED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SHELL'];

function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of INHERITED) {
    const v = process.env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The first letters of a workload hash, as replica ids and events show it. */
export function shortHash(hash: string): string {
  return (
    hash
      .replace(/^[a-z0-9]+:/i, '')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 5)
      .toLowerCase() || 'x'
  );
}

/**
 * The record of a new replica of `state` on `track`, listening on `port` (and `ports`, by declared port name), in slot `index`. A stateful
 * replica is named after its index (`db-0`, like a StatefulSet's pod), the others after their version.
 */
export function newReplicaRecord(
  state: ServiceState,
  track: Track,
  port: number,
  nowMs: number,
  index?: number,
  id?: string,
  ports?: Record<string, number>,
): ReplicaRecord {
  const volumes = mountDirs(state, index).map((m) => m.dir);
  return {
    id:
      id ??
      (isStateful(state) && index !== undefined
        ? `${state.service}-${index}`
        : `${state.service}-${shortHash(state.hash)}-${randomBytes(3).toString('hex').slice(0, 5)}`),
    app: state.app,
    env: state.env,
    service: state.service,
    hash: state.hash,
    revision: state.revision,
    ...(track === Track.canary ? { track } : {}),
    port,
    ...(index !== undefined ? { index } : {}),
    ...(volumes.length > 0 ? { volumes } : {}),
    ...(ports && Object.keys(ports).length > 0 ? { ports } : {}),
    ...(state.workload.runAs === 'container' ? { runAs: 'container' as const } : {}),
    restarts: 0,
    backoffStreak: 0,
    created: new Date(nowMs).toISOString(),
    spec: {
      ...(state.workload.readiness ? { readiness: state.workload.readiness } : {}),
      ...(state.workload.liveness ? { liveness: state.workload.liveness } : {}),
      terminationGracePeriodMs: state.workload.terminationGracePeriodMs,
      ...(state.workload.stopSignal ? { stopSignal: state.workload.stopSignal } : {}),
      ...(state.workload.resources.memoryLimitBytes !== undefined
        ? { memoryLimitBytes: state.workload.resources.memoryLimitBytes }
        : {}),
      ...(state.workload.cwd ? { cwd: state.workload.cwd } : {}),
      restart: state.restart,
      ...(state.run?.kind === 'job' || state.run?.kind === 'cronjob'
        ? { job: { backoffLimit: state.run.backoffLimit } }
        : {}),
    },
  };
}

/** `PORT_<NAME>` of every declared TCP port of the replica (the first one is `$PORT` too). */
function portVariables(rec: ReplicaRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, port] of Object.entries(rec.ports ?? {})) out[`PORT_${portVariable(name)}`] = String(port);
  return out;
}

/**
 * How to (re)start replica `rec` of `state`, its config files in `configDir`; `runtimeEnv` holds what
 * the runtime knows only at start: its volume directories (prepareVolumes), stateful replicas' addresses.
 */
export function launchOf(
  state: ServiceState,
  rec: ReplicaRecord,
  configDir: string,
  runtimeEnv: Record<string, string> = {},
): Launch {
  return {
    command: processArgv(state.workload),
    ...(state.workload.cwd ? { cwd: state.workload.cwd } : {}),
    env: {
      ...inheritedEnv(),
      ...(state.discovery ? discoveryFor(state.service, state.discovery, state.workload.ports) : {}),
      ...state.workload.env,
      ...runtimeEnv,
      ...portVariables(rec),
      PORT: String(rec.port),
      BERTH_CONFIG_DIR: configDir,
      BERTH_APP: state.app,
      BERTH_ENV: state.env,
      BERTH_SERVICE: state.service,
      BERTH_REPLICA: rec.id,
      ...(rec.index !== undefined ? { BERTH_REPLICA_INDEX: String(rec.index) } : {}),
    },
  };
}
