/**
 * Runs a replica as a process under its shim (shim.ts): spawns the shim detached (so the control
 * plane can die without touching the service), reads how the run stands from the shim's files and
 * processes (polled, since an adopted shim is not our child), and stops it through the shim.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { message } from '../../model/messages.js';
import { exitError } from './exitReason.js';
import type { Runner, Launch, RunChange, RunIdentity, RunUsage, ProbeAccess } from './runner.js';
import { isPidAlive, isSameProcessAlive, killGroup, killPid, treeUsage } from './procfs.js';
import type { ProcSnapshot } from './procfs.js';
import { SHIM_START_TIMEOUT_MS, iso, observeRun } from './replicaRun.js';
import type { RunState } from './replicaRun.js';
import { clearRunFiles, readExitInfo, readShimInfo } from './replicaStore.js';
import type { ReplicaRecord } from './replicaStore.js';
import { CHILD_NODE_OPTIONS, CHILD_UMASK, shimArgv, shimPaths } from './shimFiles.js';
import type { ExitInfo, ShimInfo } from './shimFiles.js';
import type { ShimLauncher } from './shimPool.js';
import { SHIM_PROBES_ENV, probesFile, readShimProbes, shimProbesSpec } from './shimProbes.js';

export interface ProcessRunnerDeps {
  shims: ShimLauncher;
  logMaxBytes: number;
  logKeep: number;
}

export class ProcessRunner implements Runner {
  readonly limitsMemory = false;
  readonly logDir: string;
  private run: RunState = { kind: 'down' };
  /** An exit found before poll was asked (a failed spawn): reported by the next poll. */
  private pendingExit: ExitInfo | undefined;
  /** A stop asked for while the shim was still starting: sent once it runs. */
  private stopWanted = false;
  /**
   * The running shim was adopted (started by an earlier control plane): not our child, so a dead one
   * may stay a zombie its parent never reaps, which a signal 0 reads as alive.
   */
  private adopted = false;
  /** The shim this control plane spawned (undefined for an adopted one): Node reaps it and records its end. */
  private child: ChildProcess | undefined;
  /** The running shim runs the http and tcp probes (it wrote probes.json before shim.json). */
  private shimProbes = false;
  /** Wakes the replica when a shim this process spawned ends (onSupervisorExit). */
  private supervisorExit: (() => void) | undefined;

  private readonly deps: ProcessRunnerDeps;
  private readonly dir: string;
  private readonly record: ReplicaRecord;

  constructor(deps: ProcessRunnerDeps, dir: string, record: ReplicaRecord) {
    this.deps = deps;
    this.dir = dir;
    this.record = record;
    this.logDir = shimPaths(dir).logs;
  }

  start(launch: Launch, nowMs: number): void {
    clearRunFiles(this.dir);
    this.stopWanted = false;
    this.pendingExit = undefined;
    if (launch.cwd !== undefined && !existsSync(launch.cwd)) {
      // Spawning would fail with a misleading "ENOENT" naming the shim or the command.
      this.run = { kind: 'down' };
      this.pendingExit = {
        code: null,
        signal: null,
        at: iso(nowMs),
        ...exitError(message('exit.noWorkingDir', { dir: launch.cwd })),
      };
      return;
    }
    const env: Record<string, string> = { ...launch.env };
    if (env.NODE_OPTIONS !== undefined) {
      env[CHILD_NODE_OPTIONS] = env.NODE_OPTIONS;
      delete env.NODE_OPTIONS;
    }
    const umask = process.env[CHILD_UMASK];
    if (umask !== undefined) env[CHILD_UMASK] = umask;
    const spec = this.record.spec;
    const probes = this.deps.shims.runsProbes ? shimProbesSpec(spec, this.record.port) : undefined;
    if (probes !== undefined) env[SHIM_PROBES_ENV] = probes;
    const argv = shimArgv({
      replicaDir: this.dir,
      gracePeriodMs: spec.terminationGracePeriodMs,
      logMaxBytes: this.deps.logMaxBytes,
      logKeep: this.deps.logKeep,
      ...(spec.stopSignal ? { stopSignal: spec.stopSignal } : {}),
      command: launch.command,
    });
    const child = this.deps.shims.launch({ argv, env, ...(launch.cwd ? { cwd: launch.cwd } : {}) });
    this.child = child;
    // Its end wakes the replica at once: a steady replica needs no check of its shim between full polls.
    child.once('exit', () => {
      if (this.child === child) this.supervisorExit?.();
    });
    const run: RunState = { kind: 'spawning', shimPid: child.pid, sinceMs: nowMs };
    this.run = run;
    this.adopted = false;
    child.once('error', (err) => {
      if (this.run !== run) return;
      this.run = { kind: 'down' };
      this.pendingExit = {
        code: null,
        signal: null,
        at: iso(Date.now()),
        ...exitError(message('exit.shimNotStarted', { error: err.message })),
      };
    });
  }

  poll(nowMs: number): RunChange {
    if (this.pendingExit) {
      const info = this.pendingExit;
      this.pendingExit = undefined;
      return { kind: 'exited', info };
    }
    if (this.run.kind === 'down') return undefined;
    const seen = observeRun(this.run, this.dir, nowMs, !this.adopted && this.childAlive());
    if (seen?.kind === 'exited') {
      this.run = { kind: 'down' };
      clearRunFiles(this.dir);
      return seen;
    }
    if (seen?.kind === 'running' && this.run.kind === 'spawning') {
      this.run = { kind: 'running', shim: seen.shim };
      this.shimProbes = existsSync(probesFile(this.dir));
      if (this.stopWanted) this.sendTerm();
      return { kind: 'running', run: identity(seen.shim) };
    }
    return undefined;
  }

  current(): RunIdentity | undefined {
    return this.run.kind === 'running' && this.run.shim.pid > 0 ? identity(this.run.shim) : undefined;
  }

  supervisorAlive(): boolean {
    if (this.run.kind !== 'running') return false;
    const { shimPid, shimStartTime } = this.run.shim;
    if (this.adopted) return isSameProcessAlive(shimPid, shimStartTime);
    // Our child: Node reaped it and set how it ended the moment it died, so no signal 0 each second.
    if (this.child?.pid === shimPid) return this.childAlive();
    return isPidAlive(shimPid);
  }

  supervisorWatched(): boolean {
    return !this.adopted && this.supervisorExit !== undefined && this.childAlive();
  }

  onSupervisorExit(wake: () => void): void {
    this.supervisorExit = wake;
  }

  /** The running shim is this process's child and Node has not seen it end (its pid cannot be another's). */
  private childAlive(): boolean {
    const c = this.child;
    return (
      this.run.kind === 'running' && c?.pid === this.run.shim.shimPid && c.exitCode === null && c.signalCode === null
    );
  }

  stop(): void {
    this.stopWanted = true;
    // While spawning, the shim may not handle signals yet: poll sends it once shim.json appears.
    if (this.run.kind === 'running') this.sendTerm();
  }

  kill(hard = false): void {
    if (this.run.kind !== 'running') return;
    killGroup(this.run.shim.pid, 'SIGKILL');
    if (hard) killPid(this.run.shim.shimPid, 'SIGKILL');
  }

  adopt(nowMs: number, expectRun: boolean): 'running' | 'starting' | 'ended' | 'none' {
    const shim = readShimInfo(this.dir);
    if (shim && isSameProcessAlive(shim.shimPid, shim.shimStartTime)) {
      this.run = { kind: 'running', shim };
      this.adopted = true;
      this.child = undefined;
      this.shimProbes = existsSync(probesFile(this.dir));
      return 'running';
    }
    if (shim || readExitInfo(this.dir)) {
      // Dead or done: the next poll reads exit.json (or reports the shim's death).
      this.run = { kind: 'running', shim: shim ?? { shimPid: 0, shimStartTime: -1, pid: 0, startTime: -1 } };
      return 'ended';
    }
    if (!expectRun) return 'none';
    // Spawned but no shim.json: the shim may be starting right now.
    this.run = { kind: 'spawning', shimPid: undefined, sinceMs: nowMs };
    this.adopted = true;
    return 'starting';
  }

  usage(snap: ProcSnapshot): RunUsage | undefined {
    if (this.run.kind !== 'running' || this.run.shim.pid <= 0) return undefined;
    const use = treeUsage(snap, this.run.shim.pid);
    return use ? { cpuTicks: use.cpuTicks, rssBytes: use.rssBytes } : undefined;
  }

  probes(): ProbeAccess {
    const port = this.record.port;
    const dir = this.dir;
    return { hostPort: (p) => p ?? port, ...(this.shimProbes ? { shimProbes: () => readShimProbes(dir) } : {}) };
  }

  release(): void {
    // The shim runs on by itself; its end no longer wakes this replica (another runtime may adopt it).
    this.supervisorExit = undefined;
  }

  private sendTerm(): void {
    if (this.run.kind === 'running' && this.run.shim.shimPid > 0) killPid(this.run.shim.shimPid, 'SIGTERM');
  }
}

/** How long a shim may take to start before its run counts as failed (re-exported for the replica's fast watch). */
export const START_WATCH_MS = SHIM_START_TIMEOUT_MS;

function identity(shim: ShimInfo): RunIdentity {
  return { pid: shim.pid };
}
