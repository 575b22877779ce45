/**
 * The seam between a replica's lifecycle (phases, probes, back-off, events: replica.ts) and what runs
 * it: a process under its shim (processRunner.ts) or a container through the Engine API
 * (src/runtime/container/containerRunner.ts). A runner owns the runs of one replica, one at a time;
 * the replica polls it on every supervision tick, so a runner answers from what it already knows.
 */
import type { Message } from '../../model/messages.js';
import type { ImagePullPolicy, RegistryAuth } from '../../model/workload.js';
import type { ProcSnapshot } from './procfs.js';
import type { ExitInfo, ShimProbesFile } from './shimFiles.js';

/** How to (re)start one run: only known in memory, since the environment may hold secrets. */
export interface Launch {
  /** A process's argv (`entrypoint` then `command`); unused by containers (see `container`). */
  command: string[];
  cwd?: string;
  /** The run's whole environment (a container's image environment comes under it). */
  env: Record<string, string>;
  /** Set when the replica runs as a container. */
  container?: ContainerLaunch;
}

/** What a container run is made of (built by src/runtime/container/containerLaunch.ts). */
export interface ContainerLaunch {
  /** Container name, unique on the engine (it carries the Berth home's id). */
  name: string;
  /** The image as written in berth.yaml (`shop/web:1.0`). */
  image: string;
  /** The digest the revision pinned (Workload.imageDigest): then exactly that image runs. */
  digest?: string;
  pullPolicy: ImagePullPolicy;
  auth?: RegistryAuth;
  /** Overrides of the image's ENTRYPOINT and CMD (Workload.entrypoint / Workload.command). */
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  /** Each declared port (inside the container) published on 127.0.0.1 at the replica's host port. */
  ports: { containerPort: number; hostPort: number; protocol: 'tcp' | 'udp' }[];
  /** Bind mounts: config dir (read-only), files with a mountPath (read-only), volumes. */
  mounts: { source: string; target: string; readOnly: boolean }[];
  memoryBytes?: number;
  /** CPU limit in billionths of a CPU (the Engine API's NanoCpus). */
  nanoCpus?: number;
  /** berth.home, berth.app, berth.env, berth.service, berth.replica, berth.hash: how containers are found again. */
  labels: Record<string, string>;
}

/** What identifies a running run. */
export interface RunIdentity {
  /** The pid of the command (a container's init process as the host sees it; 0 when not visible). */
  pid: number;
  /** The container's id, when a container runs it. */
  container?: string;
}

/** What changed since the last poll: the run started, it ended (how), or nothing. */
export type RunChange = { kind: 'running'; run: RunIdentity } | { kind: 'exited'; info: ExitInfo } | undefined;

/** What a run uses now. */
export interface RunUsage {
  cpuTicks: number;
  rssBytes: number;
}

/** Where probes of the current run are aimed (in the control plane, or in the shim: `shimProbes`). */
export interface ProbeAccess {
  /**
   * The host port an http/tcp probe connects to for the probe's `port` (a declared port of the replica,
   * or its first port when absent): the same number for a process, the published port for a container.
   */
  hostPort(port: number | undefined): number;
  /** Runs an exec probe inside the run (containers); absent: on the host, as the replica's user. */
  exec?(command: string[], timeoutMs: number): Promise<{ ok: boolean; message: string; detail: Message }>;
  /**
   * Present when the run's shim runs its http and tcp probes itself (shimProbes.ts): what its
   * probes.json says now. Absent: the control plane probes.
   */
  shimProbes?(): ShimProbesFile | undefined;
}

/** The runs of one replica. */
export interface Runner {
  /** True when the engine enforces the memory limit (the runtime must not kill on RSS itself). */
  readonly limitsMemory: boolean;
  /** Begins a run; a failure to start comes back from `poll` as an exit with `error` set. */
  start(launch: Launch, nowMs: number): void;
  /** The run's change since the last poll. Synchronous and cheap: called on every tick. */
  poll(nowMs: number): RunChange;
  /**
   * Whether what supervises the current run still exists, without reading any file (a signal 0 to
   * the shim): between full polls of a steady run whose exit is watched. Absent: every check polls.
   */
  supervisorAlive?(): boolean;
  /**
   * Whether the current run's supervisor is this process's child, whose end wakes the replica by
   * itself (`onSupervisorExit`): then no check between full polls is needed. Absent: false.
   */
  supervisorWatched?(): boolean;
  /** Calls `wake` whenever a supervisor this process spawned ends (its exit seen by Node, at once). */
  onSupervisorExit?(wake: () => void): void;
  /** The current run, when it runs. */
  current(): RunIdentity | undefined;
  /**
   * Asks the run to stop: the stop signal, then SIGKILL after the grace period (still enforced if the
   * control plane dies meanwhile). Its exit comes back from `poll`.
   */
  stop(): void;
  /** SIGKILL now (OOM); `hard` also kills what supervises the run (a stop that overran its grace period). */
  kill(hard?: boolean): void;
  /**
   * After a control-plane restart: takes over the run found on disk (or in the engine). `running`: it
   * runs; `starting`: it is being started (only when `expectRun`: the replica was not waiting to
   * restart); `ended`: it ended or died, `poll` reports how; `none`: nothing runs.
   */
  adopt(nowMs: number, expectRun: boolean): 'running' | 'starting' | 'ended' | 'none';
  /** What the current run uses, from a snapshot of /proc (or the engine); undefined when unknown. */
  usage(snap: ProcSnapshot): RunUsage | undefined;
  /** How probes reach the current run. */
  probes(): ProbeAccess;
  /** Lets go of the run without stopping it (`close`: the next control plane adopts it). */
  release(): void;
  /** The directory its logs go to (the replica's logs/, read by `berth logs`). */
  readonly logDir: string;
}
