/**
 * The on-disk state of replicas: `<home>/run/<app>/<env>/<service>/<replicaId>/replica.json`
 * (written before the shim is spawned, never holding secrets) beside the shim's shim.json,
 * exit.json and logs/. Scanning these at start is how a restarted runtime re-adopts replicas.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../../errors.js';
import type { Message } from '../../model/messages.js';
import type { Probe } from '../../model/probe.js';
import type { ReplicaStatus } from '../../model/observation.js';
import type { RestartPolicy } from '../../model/serviceState.js';
import type { StopSignal } from '../../model/workload.js';
import type { Track } from '../../model/routing.js';
import { EXIT_FILE, SHIM_FILE, readJsonFile, shimPaths, writeJsonAtomic } from './shimFiles.js';
import type { ExitInfo, ShimInfo } from './shimFiles.js';

/** The part of a workload a replica needs to be supervised after a control-plane restart (no env: it may hold secrets). */
export interface ReplicaSpec {
  readiness?: Probe;
  liveness?: Probe;
  terminationGracePeriodMs: number;
  /** Sent by the shim on a stop instead of SIGTERM (berth.yaml `stopSignal`). */
  stopSignal?: StopSignal;
  memoryLimitBytes?: number;
  cwd?: string;
  /** Restart backoff, so an adopted replica backs off as its release asked before converge is called again. */
  restart?: RestartPolicy;
  /** Set for a job's run: it runs to completion, retried up to `backoffLimit` times after a failure. */
  job?: { backoffLimit: number };
}

/** How a job's run ended (kept in its replica.json, so a restarted control plane never runs it again). */
export interface JobCompletion {
  result: 'succeeded' | 'failed';
  exitCode: number | null;
  /** The exit as one line: `exit code 3`, `killed by SIGKILL`, why it could not start. */
  reason: string;
  /** `reason` as a code with params (absent in records written before codes). */
  reasonMessage?: Message;
  endedAt: string;
  /** Runs made (1 + retries). */
  attempts: number;
  /** The last lines of the last run's log (stdout and stderr), oldest first. */
  logTail: string[];
}

/** How many of the last stderr lines a replica keeps of an exit (`lastStderr`), and a crash loop's reason quotes. */
export const CRASH_STDERR_LINES = 3;

/** Contents of replica.json. */
export interface ReplicaRecord {
  id: string;
  app: string;
  env: string;
  service: string;
  hash: string;
  revision: number;
  /** The service track the replica belongs to; stable when absent (and in records written before tracks). */
  track?: Track;
  port: number;
  /**
   * The replica's slot: a stateful service's stable index (0..n-1, kept across restarts, updates and
   * control-plane restarts), a plain service's lowest free slot of its version; absent in older records.
   */
  index?: number;
  /** The volume directories it mounts (`pgdata`, or `pgdata-0` for a stateful replica), so none is removed under it. */
  volumes?: string[];
  /** The replica's port per declared TCP port name (`PORT_<NAME>`), the first one being `port`. */
  ports?: Record<string, number>;
  /** Set when the replica runs as a container (its runner then is the container runner). */
  runAs?: 'container';
  restarts: number;
  /** Consecutive failures, for the backoff; reset after a long enough run. */
  backoffStreak: number;
  lastExit?: NonNullable<ReplicaStatus['lastExit']>;
  /** The last exit's last stderr lines (at most CRASH_STDERR_LINES), for a crash loop's report. */
  lastStderr?: string[];
  /** Whether the replica was ready at least once: its crashes after that are not a crash loop of a rollout. */
  everReady?: boolean;
  created: string;
  /** When the current (or last) run started. */
  startedAt?: string;
  /** Set while waiting to restart. */
  backoffUntil?: string;
  /** A job's run that ended for good (succeeded, or failed after its retries). */
  completion?: JobCompletion;
  spec: ReplicaSpec;
}

export const REPLICA_FILE = 'replica.json';
/** Folder of a service directory that held config files per workload hash (replicas now have their own). */
export const CONFIG_DIR = 'config';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Rejects names that could escape the run directory. */
export function checkName(kind: string, name: string): string {
  if (!NAME.test(name) || name === CONFIG_DIR) throw new RuntimeError(`invalid ${kind} name ${JSON.stringify(name)}`);
  return name;
}

/** `<home>/run`. */
export function runRoot(home: string): string {
  return join(home, 'run');
}

/** `<home>/run/<app>/<env>/<service>`. */
export function serviceDir(home: string, app: string, env: string, service: string): string {
  return join(runRoot(home), checkName('app', app), checkName('env', env), checkName('service', service));
}

/** A filesystem-safe form of a workload hash. */
export function hashDirName(hash: string): string {
  return hash.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Every `app/env/service` that has a directory. */
export function listServiceDirs(home: string): { app: string; env: string; service: string }[] {
  const out: { app: string; env: string; service: string }[] = [];
  for (const app of subdirs(runRoot(home))) {
    for (const env of subdirs(join(runRoot(home), app))) {
      for (const service of subdirs(join(runRoot(home), app, env))) out.push({ app, env, service });
    }
  }
  return out;
}

/** Replica directories of a service (those holding a replica.json). */
export function listReplicaDirs(svcDir: string): string[] {
  return subdirs(svcDir)
    .filter((n) => n !== CONFIG_DIR)
    .map((n) => join(svcDir, n))
    .filter((d) => exists(join(d, REPLICA_FILE)));
}

export function readReplicaRecord(dir: string): ReplicaRecord | undefined {
  return readJsonFile<ReplicaRecord>(join(dir, REPLICA_FILE));
}

export function writeReplicaRecord(dir: string, rec: ReplicaRecord): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeJsonAtomic(join(dir, REPLICA_FILE), rec);
}

export function readShimInfo(dir: string): ShimInfo | undefined {
  return readJsonFile<ShimInfo>(join(dir, SHIM_FILE));
}

export function readExitInfo(dir: string): ExitInfo | undefined {
  // One join, not shimPaths' four: read on every full poll of every replica.
  return readJsonFile<ExitInfo>(join(dir, EXIT_FILE));
}

/** Forgets the last run's shim files (before a restart). */
export function clearRunFiles(dir: string): void {
  const p = shimPaths(dir);
  rmSync(p.shim, { force: true });
  rmSync(p.exit, { force: true });
  rmSync(p.probes, { force: true });
}

/** The folders in `dir`, sorted (none when it does not exist). */
export function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** Whether anything is at `path`. */
export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
