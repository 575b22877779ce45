/**
 * The files a shim and the runtime share inside a replica directory, and the shim's command line.
 * Kept apart from shim.ts so the runtime can use them without loading the shim's entry point.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';

/** Written by the shim once the command runs. */
export interface ShimInfo {
  shimPid: number;
  shimStartTime: number;
  pid: number;
  startTime: number;
}

/** Written by the shim when the command exits (or could not be started). */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: string;
  /** Set when the command could not be started at all (e.g. ENOENT). */
  error?: string;
  /**
   * `error` as a message code with params (src/model/messages.ts; the shim is built on its own, so
   * it is typed here as it is stored); absent in older exit files.
   */
  errorMessage?: { code: string; params: Record<string, unknown>; text: string };
  /** The command's last stderr lines, oldest first (a crash usually says why there). */
  stderrTail?: string[];
}

/** The probes a native shim runs (shimProbes.ts). */
export type ShimProbeName = 'readiness' | 'liveness';

/** One probe's entry in probes.json. */
export interface ShimProbeEntry {
  /** null until a threshold is reached. */
  verdict: boolean | null;
  /** How many times the verdict became failing (a liveness failure between two reads is not lost). */
  downs: number;
  /** The last attempt's finding: a message code of src/model/messages.ts and its params. */
  code?: string;
  params?: Record<string, string | number>;
}

/** probes.json: what the native shim's probes last found. */
export type ShimProbesFile = Partial<Record<ShimProbeName, ShimProbeEntry>>;

export const SHIM_FILE = 'shim.json';
export const EXIT_FILE = 'exit.json';
/** Written by the native shim (native/shim/probe.c) when a probe it runs changes verdict or finding: shimProbes.ts. */
export const PROBES_FILE = 'probes.json';
export const LOG_DIR = 'logs';
/** NODE_OPTIONS meant for the workload is carried under this name so it cannot affect the shim itself. */
export const CHILD_NODE_OPTIONS = 'BERTH_CHILD_NODE_OPTIONS';
/**
 * The umask (octal) the workload runs with: the control plane and the shims create their files
 * owner-only (umask 077), the command gets the umask the control plane was started with.
 */
export const CHILD_UMASK = 'BERTH_CHILD_UMASK';

/** Options the runtime passes on the shim's command line. */
export interface ShimArgs {
  replicaDir: string;
  gracePeriodMs: number;
  logMaxBytes: number;
  logKeep: number;
  /** What a stop sends the command's process group first (berth.yaml `stopSignal`); SIGTERM when absent. */
  stopSignal?: NodeJS.Signals;
  command: string[];
}

/** What the shim parsed: the stop signal is always known. */
export type ParsedShimArgs = ShimArgs & { stopSignal: NodeJS.Signals };

/** Builds the shim's argv (after the script path). */
export function shimArgv(a: ShimArgs): string[] {
  const signal = a.stopSignal && a.stopSignal !== 'SIGTERM' ? [a.stopSignal] : [];
  return [
    a.replicaDir,
    String(a.gracePeriodMs),
    String(a.logMaxBytes),
    String(a.logKeep),
    ...signal,
    '--',
    ...a.command,
  ];
}

/** Parses the shim's argv (after the script path). */
export function parseShimArgv(argv: string[]): ParsedShimArgs {
  const sep = argv.indexOf('--');
  const [replicaDir, grace, maxBytes, keep, signal = 'SIGTERM'] = argv.slice(0, sep);
  const command = argv.slice(sep + 1);
  // The shim is built on its own (no import of the runtime's model): any signal of this system.
  const stopSignal = Object.hasOwn(constants.signals, signal) ? (signal as NodeJS.Signals) : undefined;
  if (sep < 0 || !replicaDir || command.length === 0 || stopSignal === undefined) {
    throw new Error('usage: shim <replicaDir> <gracePeriodMs> <logMaxBytes> <logKeep> [stopSignal] -- <command...>');
  }
  return {
    replicaDir,
    gracePeriodMs: Number(grace),
    logMaxBytes: Number(maxBytes),
    logKeep: Number(keep),
    stopSignal,
    command,
  };
}

/** Writes JSON by rename so a reader never sees a half-written file. */
export function writeJsonAtomic(path: string, value: unknown, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode });
  renameSync(tmp, path);
}

/**
 * A JSON file of the replica directory, or undefined when it is absent or unreadable. Most reads are of
 * a file that is not there (exit.json of a running replica, checked on each full poll): an existence
 * check answers those without the thrown ENOENT a failed read builds.
 */
export function readJsonFile<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Paths of a replica's shared files. */
export function shimPaths(replicaDir: string): { shim: string; exit: string; logs: string; probes: string } {
  return {
    shim: join(replicaDir, SHIM_FILE),
    exit: join(replicaDir, EXIT_FILE),
    logs: join(replicaDir, LOG_DIR),
    probes: join(replicaDir, PROBES_FILE),
  };
}
