/**
 * The runs of one replica as containers, through the Docker Engine API (Docker or Podman): what the
 * shim is to a process, the engine is to a container. A run makes its image present (pull policy),
 * replaces a leftover container of its name, creates one (stop signal and grace, labels, ports on
 * 127.0.0.1, bind mounts, limits, no engine restarts: Berth restarts), starts it, follows its logs
 * into the replica's log files and waits for its exit, then removes it. `container.json` in the
 * replica directory names it, so a restarted control plane adopts it instead of starting another.
 *
 * Networking: a container reaches the machine's service addresses at CONTAINER_HOST. Podman:
 * slirp4netns with allow_host_loopback, where 10.0.2.2 is the host's loopback. Docker: its default
 * bridge and `host-gateway`, the bridge's gateway address, where the gateway then binds the service
 * addresses too (serviceHostsOf in engine.ts, RoutingTable.serviceHosts). Both tested.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { StopSignal } from '../../model/workload.js';
import type {
  ContainerLaunch,
  Launch,
  ProbeAccess,
  RunChange,
  RunIdentity,
  RunUsage,
  Runner,
} from '../local/runner.js';
import { isSameProcessAlive, readStartTime, treeUsage } from '../local/procfs.js';
import type { ProcSnapshot } from '../local/procfs.js';
import type { ExitInfo } from '../local/shimFiles.js';
import { LOG_DIR, writeJsonAtomic } from '../local/shimFiles.js';
import { CONTAINER_HOST } from './containerLaunch.js';
import { ContainerLogPump } from './containerLogs.js';
import { CONTAINER_FILE, readContainerFile } from './containerFile.js';
import type { ContainerFile } from './containerFile.js';
import { runnableImage } from './containerImage.js';
import { execProbe } from './containerExec.js';
import { probeResult } from '../local/probes.js';
import { engineReason, engineStatus } from './engine.js';
import type { Engine } from './engine.js';

export { CONTAINER_FILE, CONTAINER_HOST };

/** How long an exited container's log stream may take to drain. */
const LOG_DRAIN_MS = 1000;

export interface ContainerRunnerOptions {
  /** The engine (connected once, shared by every runner). */
  engine: () => Promise<Engine>;
  /** The replica's directory (container.json, logs/). */
  dir: string;
  gracePeriodMs: number;
  stopSignal?: StopSignal;
  logMaxBytes: number;
  logKeep: number;
}

interface ActiveRun {
  file: ContainerFile;
  container: Docker.Container | undefined;
}

/** ContainerRunner implements the runner seam (src/runtime/local/runner.ts) for containers. */
export class ContainerRunner implements Runner {
  readonly limitsMemory = true;
  readonly logDir: string;
  private readonly opts: ContainerRunnerOptions;
  private readonly changes: RunChange[] = [];
  private run: ActiveRun | undefined;
  private reported: RunIdentity | undefined;
  /** Bumped by start, adopt and release: async work of an older generation drops its results. */
  private gen = 0;
  private abort = new AbortController();
  private pump: ContainerLogPump | undefined;
  private wanted: 'stop' | 'kill' | undefined;

  constructor(opts: ContainerRunnerOptions) {
    this.opts = opts;
    this.logDir = join(opts.dir, LOG_DIR);
  }

  private get filePath(): string {
    return join(this.opts.dir, CONTAINER_FILE);
  }

  start(launch: Launch, _nowMs: number): void {
    const c = launch.container;
    const gen = this.fresh();
    if (!c) {
      this.ended(gen, exitError('the replica has no container to run (not a container launch)'));
      return;
    }
    this.startAsync(gen, c, launch.env).catch((err: unknown) =>
      this.ended(gen, exitError(err instanceof Error ? err.message : engineReason(err))),
    );
  }

  poll(_nowMs: number): RunChange {
    return this.changes.shift();
  }

  current(): RunIdentity | undefined {
    return this.reported;
  }

  stop(): void {
    this.wanted ??= 'stop';
    const container = this.run?.container;
    if (!container || !this.run?.file.started) return; // starting: stopped once it runs
    const t = Math.ceil(this.opts.gracePeriodMs / 1000);
    container.stop({ t }).catch(() => undefined); // 304: already stopped; its exit comes from wait
  }

  /** SIGKILL through the engine (`hard` changes nothing: the engine supervises the container itself). */
  kill(_hard = false): void {
    this.wanted = 'kill';
    const container = this.run?.container;
    if (!container || !this.run?.file.started) return;
    container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  }

  adopt(_nowMs: number, expectRun: boolean): 'running' | 'starting' | 'ended' | 'none' {
    const file = readContainerFile(this.opts.dir);
    if (!file) {
      if (!expectRun) return 'none';
      // A run was due but no container is recorded: the control plane stopped while pulling or
      // creating it (a container it created unrecorded is removed by the sweep at start). That run
      // ended: the replica restarts it as after a failed start.
      const gen = this.fresh();
      this.ended(gen, exitError('the control plane stopped before the container was started'));
      return 'ended';
    }
    const gen = this.fresh();
    this.run = { file, container: undefined };
    // Its process seen in /proc decides now; when the engine's pids are not visible, the engine does (async).
    const visible = file.startTime >= 0;
    const alive = file.started && (!visible || isSameProcessAlive(file.pid, file.startTime));
    if (file.started) this.reported = { pid: visible ? file.pid : 0, container: file.id.slice(0, 12) };
    this.adoptAsync(gen, file).catch((err: unknown) =>
      this.ended(gen, exitError(`cannot adopt container ${file.name}: ${engineReason(err)}`)),
    );
    // `ended`: never started (the control plane died between create and start), or its process is gone.
    return alive ? 'running' : 'ended';
  }

  usage(snap: ProcSnapshot): RunUsage | undefined {
    const pid = this.reported?.pid;
    if (!pid) return undefined;
    return treeUsage(snap, pid);
  }

  /** Read at each probe, so a run adopted (or restarted) since is reached as it is now. */
  probes(): ProbeAccess {
    return {
      hostPort: (port) => {
        const ports = this.run?.file.ports ?? [];
        if (port === undefined) return ports[0]?.hostPort ?? 0;
        return ports.find((p) => p.containerPort === port)?.hostPort ?? port;
      },
      exec: async (command, timeoutMs) => {
        const run = this.run;
        if (!run?.file.started) return probeResult(false, 'probe.execNotRunning');
        const container = run.container ?? (await this.opts.engine()).docker.getContainer(run.file.id);
        return execProbe(container, command, timeoutMs);
      },
    };
  }

  release(): void {
    this.gen++;
    this.abort.abort();
    this.pump?.close();
    this.pump = undefined;
  }

  /** A new generation: what an earlier one still does in the background is ignored from now on. */
  private fresh(): number {
    this.release();
    this.abort = new AbortController();
    this.run = undefined;
    this.reported = undefined;
    this.wanted = undefined;
    return this.gen;
  }

  private async startAsync(gen: number, c: ContainerLaunch, env: Record<string, string>): Promise<void> {
    const engine = await this.opts.engine();
    const { docker, kind } = engine;
    const image = await runnableImage(engine, c);
    if (gen !== this.gen) return;
    if (this.wanted) return this.ended(gen, exitError('stopped before it started'));
    await removeByName(docker, c.name);
    const container = await docker
      .createContainer(createOptions({ ...c, image }, env, kind, this.opts))
      .catch((err: unknown) => {
        throw new Error(`cannot create container ${c.name} from ${image}: ${engineReason(err)}`);
      });
    if (gen !== this.gen) {
      await container.remove({ force: true }).catch(() => undefined);
      return;
    }
    const ports = c.ports.map((p) => ({ containerPort: p.containerPort, hostPort: p.hostPort }));
    const file: ContainerFile = { id: container.id, name: c.name, started: false, pid: 0, startTime: -1, ports };
    writeJsonAtomic(this.filePath, file, 0o600);
    this.run = { file, container };
    try {
      await container.start();
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      rmSync(this.filePath, { force: true });
      throw new Error(`cannot start container ${c.name}: ${engineReason(err)}`);
    }
    // Started: recorded before anything else is awaited, so a control plane closed now adopts it.
    file.started = true;
    writeJsonAtomic(this.filePath, file, 0o600);
    const info = await container.inspect();
    if (gen !== this.gen) return;
    file.pid = info.State.Pid ?? 0;
    file.startTime = file.pid > 0 ? (readStartTime(file.pid) ?? -1) : -1;
    if (file.startTime < 0) file.pid = 0;
    writeJsonAtomic(this.filePath, file, 0o600);
    this.running(file);
    this.follow(gen, container, false);
    if (this.wanted === 'kill') this.kill();
    else if (this.wanted === 'stop') this.stop();
  }

  private async adoptAsync(gen: number, file: ContainerFile): Promise<void> {
    const { docker } = await this.opts.engine();
    const container = docker.getContainer(file.id);
    let state: Docker.ContainerInspectInfo['State'];
    try {
      state = (await container.inspect()).State;
    } catch (err) {
      if (engineStatus(err) !== 404) throw err;
      rmSync(this.filePath, { force: true });
      return this.ended(gen, exitError(`the container ${file.name} disappeared (removed outside Berth)`));
    }
    if (gen !== this.gen || !this.run) return;
    this.run.container = container;
    // A stop asked for while the engine was being asked about it.
    if (this.wanted === 'kill') this.kill();
    else if (this.wanted === 'stop') this.stop();
    if (!file.started || state.Status === 'created' || state.Status === 'configured') {
      await container.remove({ force: true }).catch(() => undefined);
      rmSync(this.filePath, { force: true });
      return this.ended(gen, exitError('the control plane stopped while the container was being started'));
    }
    this.follow(gen, container, true);
  }

  private running(file: ContainerFile): void {
    this.reported = { pid: file.pid, container: file.id.slice(0, 12) };
    this.changes.push({ kind: 'running', run: this.reported });
  }

  /** Follows the logs and waits for the exit; then reports it and removes the container. */
  private follow(gen: number, container: Docker.Container, resume: boolean): void {
    const signal = this.abort.signal;
    const pump = new ContainerLogPump(
      this.logDir,
      { maxBytes: this.opts.logMaxBytes, keep: this.opts.logKeep },
      resume,
    );
    this.pump = pump;
    const logs = pump.follow(container, signal).catch(() => undefined);
    const waited = async (): Promise<void> => {
      await container.wait({ condition: 'not-running', abortSignal: signal });
      if (gen !== this.gen) return;
      const { State: state, HostConfig: host } = await container.inspect();
      await Promise.race([logs, new Promise((r) => setTimeout(r, LOG_DRAIN_MS))]);
      if (gen !== this.gen) return;
      pump.close();
      const tail = pump.stderrTail();
      const info: ExitInfo = {
        code: state.ExitCode ?? null,
        signal: null,
        at: validTime(state.FinishedAt) ?? new Date().toISOString(),
        ...(oomKilled(state, this.wanted, host.Memory) ? { error: 'OOMKilled' } : {}),
        ...(tail.length > 0 ? { stderrTail: tail } : {}),
      };
      await container.remove({ force: true }).catch(() => undefined);
      rmSync(this.filePath, { force: true });
      this.ended(gen, info);
    };
    waited().catch((err: unknown) => {
      if (gen !== this.gen) return;
      pump.close();
      if (engineStatus(err) === 404) {
        rmSync(this.filePath, { force: true });
        return this.ended(
          gen,
          exitError(`the container ${this.run?.file.name ?? ''} disappeared (removed outside Berth)`),
        );
      }
      this.ended(gen, exitError(`lost the container: ${engineReason(err)}`));
    });
  }

  private ended(gen: number, info: ExitInfo): void {
    if (gen !== this.gen) return;
    this.run = undefined;
    this.reported = undefined;
    this.pump = undefined;
    this.changes.push({ kind: 'exited', info });
  }
}

/**
 * Whether the kernel killed the container at its memory limit. The engine says so when it knows;
 * Podman on cgroup v1 does not (OOMKilled stays false), so a SIGKILL (exit code 137) that Berth did
 * not ask for, of a container with a memory limit, counts as one too.
 */
function oomKilled(
  state: { OOMKilled?: boolean; ExitCode?: number },
  wanted: string | undefined,
  limit: number | undefined,
): boolean {
  return state.OOMKilled === true || (state.ExitCode === 137 && wanted === undefined && (limit ?? 0) > 0);
}

function exitError(error: string): ExitInfo {
  return { code: null, signal: null, at: new Date().toISOString(), error };
}

/** A time the engine reports, unless it is its zero value. */
function validTime(t: string | undefined): string | undefined {
  if (!t || t.startsWith('0001-')) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Removes a leftover container called `name` (an earlier run that was not cleaned up). */
async function removeByName(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getContainer(name).remove({ force: true });
  } catch (err) {
    if (engineStatus(err) !== 404)
      throw new Error(`cannot remove the leftover container ${name}: ${engineReason(err)}`);
  }
}

/** The Engine API's create body for a run. */
export function createOptions(
  c: ContainerLaunch,
  env: Record<string, string>,
  kind: Engine['kind'],
  opts: Pick<ContainerRunnerOptions, 'gracePeriodMs' | 'stopSignal'>,
): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of c.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    bindings[key] = [{ HostIp: '127.0.0.1', HostPort: String(p.hostPort) }];
  }
  const network =
    kind === 'podman'
      ? { NetworkMode: 'slirp4netns:allow_host_loopback=true', ExtraHosts: [`${CONTAINER_HOST}:10.0.2.2`] }
      : { NetworkMode: 'bridge', ExtraHosts: [`${CONTAINER_HOST}:host-gateway`] };
  return {
    name: c.name,
    Image: c.image,
    ...(c.entrypoint ? { Entrypoint: c.entrypoint } : {}),
    ...(c.cmd ? { Cmd: c.cmd } : {}),
    ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: c.labels,
    StopSignal: opts.stopSignal ?? 'SIGTERM',
    StopTimeout: Math.ceil(opts.gracePeriodMs / 1000),
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      Mounts: c.mounts.map((m) => ({
        Type: 'bind' as const,
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readOnly,
      })),
      ...(c.memoryBytes !== undefined ? { Memory: c.memoryBytes } : {}),
      ...(c.nanoCpus !== undefined ? { NanoCpus: c.nanoCpus } : {}),
      RestartPolicy: { Name: 'no' },
      ...network,
    },
  };
}
