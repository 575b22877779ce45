/**
 * One service's replicas in one environment: adopts what is on disk, reconciles toward the desired
 * state (scale, rolling update with maxSurge/maxUnavailable), keeps the gateway's backends equal to
 * the ready replicas (always withdrawing a replica before stopping it), and reports status.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConflictError, RuntimeError, TimeoutError } from '../../errors.js';
import type { GatewayControl, RoutingTable } from '../../gateway/table.js';
import { processArgv, Track } from '../runtime.js';
import { message, said } from '../../model/messages.js';
import type { ConvergeOptions, RuntimeEvent, ServiceState, ServiceStatus, TrafficSplit } from '../runtime.js';
import { pruneConfigDirs, writeConfigFiles } from './configFiles.js';
import { listenerProblem } from './listenerProblem.js';
import { crashLoopError, noProgressMessage } from './convergeFailure.js';
import { launchOf, newReplicaRecord, shortHash } from './replicaLaunch.js';
import { canaryStateOf } from './trackStates.js';
import { serviceStatus } from './serviceStatus.js';
import { ChangeWaiters, abortError } from './changeWaiters.js';
import { setServiceListener } from './serviceListener.js';
import type { PortRegistry } from './ports.js';
import type { ProcSnapshot } from './procfs.js';
import { Replica } from './replica.js';
import type { Launch, ReplicaContext } from './replicaContext.js';
import {
  CONFIG_DIR,
  hashDirName,
  listReplicaDirs,
  readReplicaRecord,
  serviceDir,
  writeReplicaRecord,
} from './replicaStore.js';
import type { ReplicaRecord } from './replicaStore.js';
import { shimPaths } from './shimFiles.js';
import type { ArchiveReason } from './logArchive.js';
import { planRollout, rolloutLimits } from './rollout.js';
import type { ShimLauncher } from './shimPool.js';

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
}

/** The replicas of one `app/env/service`. */
export class ReplicaSet {
  readonly key: string;
  readonly dir: string;
  private readonly replicas = new Map<string, Replica>();
  /** The stable track's desired state (the whole service when it has one track). */
  private desired: ServiceState | undefined;
  /** The canary track's desired state, as a ServiceState of its own, while a progressive release runs. */
  private canaryState: ServiceState | undefined;
  private traffic: TrafficSplit | undefined;
  private generation = 0;
  private readonly pendingStarts = new Map<Track, number>();
  private listeners = new Set<(e: RuntimeEvent) => void>();
  private readonly changes = new ChangeWaiters();
  private servicePort: number | undefined;
  private closed = false;

  private readonly ctx: SetContext;
  readonly app: string;
  readonly env: string;
  readonly service: string;

  constructor(ctx: SetContext, app: string, env: string, service: string) {
    this.ctx = ctx;
    this.app = app;
    this.env = env;
    this.service = service;
    this.key = `${app}/${env}/${service}`;
    this.dir = serviceDir(ctx.home, app, env, service);
    this.servicePort = ctx.ports.lookup().services[this.key];
  }

  /** Adopts every replica directory found on disk; `serving` are the ids the gateway routes to now. */
  adoptFromDisk(serving: Set<string>): void {
    for (const d of listReplicaDirs(this.dir)) {
      const rec = readReplicaRecord(d);
      if (!rec || this.replicas.has(rec.id)) continue;
      const r = Replica.adopt(this.replicaContext(rec.id), d, rec, serving.has(rec.id));
      this.replicas.set(rec.id, r);
      this.ctx.logger.info({ service: this.key, replica: rec.id, pid: r.pid, phase: r.phase }, 'adopted replica');
    }
  }

  /** Whether the service's policy has a circuit breaker (its state is then worth reporting). */
  get hasCircuitBreaker(): boolean {
    return this.desired?.policy?.circuitBreaker !== undefined;
  }

  /** Number of replicas (any phase) this set holds. */
  get size(): number {
    return this.replicas.size;
  }

  /** Makes the replicas match `state`; see Runtime.converge. */
  async converge(state: ServiceState, opts: ConvergeOptions): Promise<void> {
    if (processArgv(state.workload).length === 0) {
      throw new RuntimeError(
        `${state.service}: the workload has no command (the local runtime runs commands, not images)`,
      );
    }
    const gen = ++this.generation;
    this.desired = state;
    this.canaryState = canaryStateOf(state);
    this.traffic = state.canary ? (state.traffic ?? { canaryWeight: 0 }) : undefined;
    this.listeners.add(opts.onEvent);
    try {
      for (const t of this.targets()) writeConfigFiles(this.configDir(t.state.hash), t.state.workload.files);
      this.servicePort = await this.ctx.ports.servicePort(this.key);
      await this.ctx.gatewayReady();
      for (const r of this.replicas.values()) {
        r.restart = state.restart;
        const target = this.targets().find((t) => t.track === r.track)?.state;
        if (target && r.hash === target.hash && !r.terminating) r.provideLaunch(this.launchFor(target, r.record));
      }
      // The split first: without a canary, traffic is back on stable before a canary replica stops.
      await this.syncGateway();
      const startedMs = this.ctx.now();
      let lastProgressMs = startedMs;
      let progress = '';
      for (;;) {
        if (opts.signal.aborted) throw abortError(opts.signal, state.service);
        if (this.closed) throw new RuntimeError(`${state.service}: the runtime was closed during converge`);
        if (gen !== this.generation) throw new ConflictError(`${state.service}: superseded by a newer converge`);
        this.reconcile();
        const c = this.counts();
        if (c.done) {
          // Ready means reachable: return only once the gateway routes to every new replica.
          await this.syncGateway();
          const failed = this.ctx.gateway.listenerErrors().find((e) => e.key === this.key);
          if (failed) throw new RuntimeError(`${state.service}: ${listenerProblem('its address', failed)}`);
          break;
        }
        // A new version that keeps crashing before it is ever ready will not get better by waiting.
        const loop = crashLoopError(state.service, this.fresh());
        if (loop) throw loop;
        const now = this.ctx.now();
        const sig = `${c.newReady}/${c.newCount}/${this.replicas.size}`;
        if (sig !== progress) {
          progress = sig;
          lastProgressMs = now;
        }
        if (now - lastProgressMs >= state.rollout.progressDeadlineMs) {
          throw new TimeoutError(this.failureMessage(state, now - startedMs), { details: { service: state.service } });
        }
        await this.changes.wait(opts.signal, Math.min(1000, state.rollout.progressDeadlineMs - (now - lastProgressMs)));
      }
      pruneConfigDirs(join(this.dir, CONFIG_DIR), new Set(this.targets().map((t) => hashDirName(t.state.hash))));
    } finally {
      this.listeners.delete(opts.onEvent);
    }
  }

  /** Sets one track's replica count (autoscaling); the next reconcile starts or stops replicas. */
  scaleTrack(track: Track, replicas: number): boolean {
    if (track === Track.stable && this.desired) this.desired = { ...this.desired, replicas };
    else if (track === Track.canary && this.canaryState) this.canaryState = { ...this.canaryState, replicas };
    else return false;
    this.reconcile();
    this.changes.wake();
    return true;
  }

  /** Replicas started since the last usage sample. */
  unmeasured(): Replica[] {
    return [...this.replicas.values()].filter((r) => r.needsSample());
  }

  /** Polling step for every replica, then one reconcile. */
  tick(snap: ProcSnapshot | undefined): void {
    for (const r of this.replicas.values()) r.tick(snap);
    if (this.desired) this.reconcile();
    this.changes.wake();
  }

  /** Stops every replica (gateway first), removes the listener and the service's directory. */
  async remove(): Promise<void> {
    this.desired = undefined;
    this.canaryState = undefined;
    this.traffic = undefined;
    this.generation++;
    const all = [...this.replicas.values()];
    for (const r of all) r.markTerminating();
    await this.ctx.gatewayReady();
    await this.ctx.gateway.update((t) => {
      t.services = t.services.filter((s) => s.key !== this.key);
      t.generation++;
    });
    await Promise.all(all.map((r) => r.stop()));
    for (const r of all) this.keepLogs(r, 'removed');
    this.replicas.clear();
    rmSync(this.dir, { recursive: true, force: true });
    this.changes.wake();
  }

  /** Stops probes and waiters; processes keep running. */
  close(): void {
    this.closed = true;
    for (const r of this.replicas.values()) r.dispose();
    this.changes.wake();
  }

  status(): ServiceStatus {
    return serviceStatus({
      app: this.app,
      env: this.env,
      service: this.service,
      replicas: [...this.replicas.values()],
      desired: this.desired,
      canary: this.canaryState,
      traffic: this.traffic,
      port: this.servicePort,
    });
  }

  /** Sets the gateway's backends to the serving replicas; resolves once the gateway serves them. */
  syncGateway(): Promise<void> {
    const port = this.servicePort;
    if (port === undefined) return Promise.resolve();
    return this.ctx.gateway.update((t: RoutingTable) => {
      setServiceListener(t, {
        key: this.key,
        port,
        replicas: this.replicas.values(),
        split: this.canaryState && this.traffic ? { ...this.traffic } : undefined,
        desired: this.desired,
      });
      t.generation++;
    });
  }

  /** One reconcile step of each track toward its desired state (a canary not desired has 0 replicas). */
  private reconcile(): void {
    if (!this.desired || this.closed) return;
    this.reconcileTrack(Track.stable, this.desired);
    this.reconcileTrack(Track.canary, this.canaryState);
  }

  private reconcileTrack(track: Track, target: ServiceState | undefined): void {
    const live = [...this.replicas.values()].filter((r) => !r.terminating && r.track === track);
    if (!target) {
      // No canary wanted: every replica of the track leaves (traffic already went back to stable).
      for (const v of live) void this.retire(v);
      return;
    }
    const state = target;
    const limits = rolloutLimits(state.rollout, state.replicas);
    const pending = this.pendingStarts.get(track) ?? 0;
    const fresh = live.filter((r) => r.hash === state.hash);
    const old = live.filter((r) => r.hash !== state.hash);
    const step = planRollout(
      {
        desired: state.replicas,
        newCount: fresh.length + pending,
        newReady: fresh.filter((r) => r.serving).length,
        oldCount: old.length,
        oldReady: old.filter((r) => r.serving).length,
      },
      limits,
    );
    const byAge = (a: Replica, b: Replica): number => a.record.created.localeCompare(b.record.created);
    const unready = old.filter((r) => !r.serving).sort(byAge);
    const ready = old.filter((r) => r.serving).sort(byAge);
    // Scale-down of the current hash: not-ready ones first, then the newest (Kubernetes' preference).
    const surplus = [
      ...fresh
        .filter((r) => !r.serving)
        .sort(byAge)
        .reverse(),
      ...fresh
        .filter((r) => r.serving)
        .sort(byAge)
        .reverse(),
    ];
    const victims = [
      ...unready.slice(0, step.removeUnhealthyOld),
      ...ready.slice(0, step.removeReadyOld),
      ...surplus.slice(0, step.removeNew),
    ];
    if (step.start > 0 || victims.length > 0) {
      const total = fresh.length + pending + step.start - step.removeNew;
      const scaling = message(track === Track.canary ? 'event.scalingCanary' : 'event.scaling', {
        service: state.service,
        hash: shortHash(state.hash),
        replicas: total,
        removing: victims.length,
      });
      this.emit({ type: 'Normal', reason: 'ScalingReplicaSet', ...said(scaling) });
    }
    for (let i = 0; i < step.start; i++) void this.startReplica(state, track);
    for (const v of victims) void this.retire(v);
  }

  private async startReplica(state: ServiceState, track: Track): Promise<void> {
    this.pendingStarts.set(track, (this.pendingStarts.get(track) ?? 0) + 1);
    try {
      const port = await this.ctx.ports.replicaPort();
      if ((this.desired !== state && this.canaryState !== state) || this.closed) return;
      const record = newReplicaRecord(state, track, port, this.ctx.now());
      const id = record.id;
      const dir = join(this.dir, id);
      writeReplicaRecord(dir, record);
      const scheduled = said(message('event.scheduled', { replica: id, port }));
      this.emit({ replica: id, type: 'Normal', reason: 'Scheduled', ...scheduled });
      const r = Replica.create(this.replicaContext(id), dir, record, this.launchFor(state, record));
      r.restart = state.restart;
      this.replicas.set(id, r);
    } catch (err) {
      this.emit({
        type: 'Warning',
        reason: 'FailedCreate',
        ...said(message('event.failedCreate', { service: state.service, error: (err as Error).message })),
      });
    } finally {
      this.pendingStarts.set(track, (this.pendingStarts.get(track) ?? 1) - 1);
      this.changes.wake();
    }
  }

  private async retire(r: Replica): Promise<void> {
    r.markTerminating();
    this.emit({
      replica: r.id,
      type: 'Normal',
      reason: 'Killing',
      ...said(message('event.stopping', { replica: r.id, graceMs: r.record.spec.terminationGracePeriodMs })),
    });
    try {
      await this.syncGateway();
    } catch (err) {
      this.ctx.logger.warn({ err, replica: r.id }, 'gateway update failed before stopping a replica');
    }
    await r.stop();
    this.keepLogs(r, 'replaced');
    rmSync(r.dir, { recursive: true, force: true });
    this.replicas.delete(r.id);
    this.changes.wake();
  }

  private launchFor(state: ServiceState, rec: ReplicaRecord): Launch {
    return launchOf(state, rec, this.configDir(state.hash));
  }

  private configDir(hash: string): string {
    return join(this.dir, CONFIG_DIR, hashDirName(hash));
  }

  /** The stable and canary targets converge works toward. */
  private targets(): { track: Track; state: ServiceState }[] {
    const out: { track: Track; state: ServiceState }[] = [];
    if (this.desired) out.push({ track: Track.stable, state: this.desired });
    if (this.canaryState) out.push({ track: Track.canary, state: this.canaryState });
    return out;
  }

  /** Whether every track runs exactly its desired replicas, all ready, and nothing else remains. */
  private counts(): { done: boolean; newCount: number; newReady: number } {
    const all = [...this.replicas.values()];
    let done = all.length === (this.desired?.replicas ?? 0) + (this.canaryState?.replicas ?? 0);
    let newCount = 0;
    let newReady = 0;
    for (const track of [Track.stable, Track.canary]) {
      const target = track === Track.stable ? this.desired : this.canaryState;
      const desired = target?.replicas ?? 0;
      const fresh = all.filter((r) => r.track === track && r.hash === target?.hash && !r.terminating);
      const ready = fresh.filter((r) => r.serving).length;
      newCount += fresh.length;
      newReady += ready;
      if ((this.pendingStarts.get(track) ?? 0) > 0 || fresh.length !== desired || ready !== desired) done = false;
    }
    return { done, newCount, newReady };
  }

  private failureMessage(state: ServiceState, elapsedMs: number): string {
    const wanted = new Set(this.targets().map((t) => t.state.hash));
    const desired = state.replicas + (this.canaryState?.replicas ?? 0);
    return noProgressMessage(
      state.service,
      elapsedMs,
      { newReady: this.counts().newReady, desired },
      [...this.replicas.values()],
      wanted,
    );
  }

  /** The replicas of the versions being converged to (stable and canary), not going away. */
  private fresh(): Replica[] {
    const wanted = new Set(this.targets().map((t) => t.state.hash));
    return [...this.replicas.values()].filter((r) => wanted.has(r.hash) && !r.terminating);
  }

  /** Archives a stopped replica's logs; a failure to keep them never blocks its removal. */
  private keepLogs(r: Replica, reason: ArchiveReason): void {
    try {
      this.ctx.archiveLogs(r.record, shimPaths(r.dir).logs, reason);
    } catch (err) {
      this.ctx.logger.warn({ err, replica: r.id }, 'could not keep the logs of a stopped replica');
    }
  }

  private replicaContext(id: string): ReplicaContext {
    return {
      shims: this.ctx.shims,
      logMaxBytes: this.ctx.logMaxBytes,
      logKeep: this.ctx.logKeep,
      archiveLogs: (rec, logDir) => this.ctx.archiveLogs(rec, logDir, 'restarted'),
      now: this.ctx.now,
      emit: (e) => this.emit(e),
      changed: () => this.onReplicaChanged(id),
      withdraw: () => this.syncGateway(),
    };
  }

  private onReplicaChanged(_id: string): void {
    this.syncGateway().catch((err: unknown) =>
      this.ctx.logger.warn({ err, service: this.key }, 'gateway update failed'),
    );
    this.changes.wake();
  }

  private emit(e: Omit<RuntimeEvent, 'time' | 'service'>): void {
    const ev: RuntimeEvent = { time: new Date(this.ctx.now()).toISOString(), service: this.service, ...e };
    this.ctx.logger.debug({ event: ev, app: this.app, env: this.env }, ev.message);
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch (err) {
        this.ctx.logger.warn({ err }, 'onEvent listener threw');
      }
    }
  }
}
