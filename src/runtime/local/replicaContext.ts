/**
 * What a replica gets from its replica set: its runner, log settings, clock, event sink and the
 * callbacks through which it reports changes.
 */
import type { RuntimeEvent } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { ReplicaRecord } from './replicaStore.js';
import type { Launch, Runner } from './runner.js';
import type { Logger } from 'pino';
import type { GatewayControl } from '../../gateway/table.js';
import type { PortRegistry } from './ports.js';
import type { ArchiveReason } from './logArchive.js';

/** What the runtime gives every replica. */
export interface ReplicaContext {
  /** Makes the runner of a replica (kept for its lifetime). */
  runnerFor(rec: ReplicaRecord, dir: string): Runner;
  logMaxBytes: number;
  logKeep: number;
  /** Keeps the logs of the run that ended before a restart (they move out of the replica's logs/). */
  archiveLogs(rec: ReplicaRecord, logDir: string): void;
  now(): number;
  emit(e: Omit<RuntimeEvent, 'time' | 'service'>): void;
  /** Something observable changed (phase, readiness): the set re-reconciles and updates the gateway. */
  changed(): void;
  /** Takes this replica out of the gateway's backends; resolves once the gateway serves that. */
  withdraw(): Promise<void>;
}

export type { Launch } from './runner.js';

/**
 * How a container replica's launch is made from its state (src/runtime/container/containerLaunch.ts):
 * `runtimeEnv` as for a process (volume directories, stateful replicas' addresses).
 */
export type ContainerLaunchOf = (
  state: ServiceState,
  rec: ReplicaRecord,
  configDir: string,
  runtimeEnv: Record<string, string>,
) => Launch;

/** What the runtime shares with every replica set. */
export interface SetContext {
  home: string;
  gateway: GatewayControl;
  ports: PortRegistry;
  /** Makes the runner of a replica: its shim for a process, the container runner for a container. */
  runnerFor(rec: ReplicaRecord, dir: string): Runner;
  /** Makes the launch of a container replica; absent where this runtime runs no containers. */
  containerLaunch?: ContainerLaunchOf;
  logMaxBytes: number;
  logKeep: number;
  /** Keeps the logs of a replica run that ended (replica dir's logs/ folder moves to the archives). */
  archiveLogs(rec: ReplicaRecord, logDir: string, reason: ArchiveReason): void;
  logger: Logger;
  now(): number;
  /** Starts (or adopts) the gateway process once. */
  gatewayReady(): Promise<void>;
  /** `<SERVICE>_<INDEX>_HOST/_PORT` of the stateful services' replicas of `app/env`, for a replica starting now. */
  replicaAddresses(app: string, env: string): Record<string, string>;
  /** A set has work again (a converge, a replica's change): supervision leaves its resting pace for its usual one. */
  hurry?(): void;
}
