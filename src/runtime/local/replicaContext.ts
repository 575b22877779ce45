/**
 * What a replica gets from its replica set: the shim launcher, log settings, clock, event sink and
 * the callbacks through which it reports changes; and how to (re)start its command.
 */
import type { RuntimeEvent } from '../runtime.js';
import type { ReplicaRecord } from './replicaStore.js';
import type { ShimLauncher } from './shimPool.js';
import type { Logger } from 'pino';
import type { GatewayControl } from '../../gateway/table.js';
import type { PortRegistry } from './ports.js';
import type { ArchiveReason } from './logArchive.js';

/** What the runtime gives every replica. */
export interface ReplicaContext {
  shims: ShimLauncher;
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

/** How to (re)start the command: only known in memory, since the environment may hold secrets. */
export interface Launch {
  command: string[];
  cwd?: string;
  env: Record<string, string>;
}

/** What the runtime shares with every replica set. */
export interface SetContext {
  home: string;
  gateway: GatewayControl;
  ports: PortRegistry;
  shims: ShimLauncher;
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
}
