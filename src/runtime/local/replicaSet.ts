/**
 * One service's replicas in one environment: adopts what is on disk, holds the desired state of each
 * track and converges toward it (the steps that start and stop replicas are trackReconciler.ts),
 * keeps the gateway's backends equal to the ready replicas, and reports status (serviceStatus.ts).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../../errors.js';
import type { RoutingTable } from '../../gateway/table.js';
import { Track } from '../../model/routing.js';
import type { ConvergeOptions, JobRunStatus } from '../runtime.js';
import type { RuntimeEvent, ServiceStatus } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { TrafficSplit } from '../../model/routing.js';
import { pruneConfigDirs } from './configFiles.js';
import { addressCannotListen } from './listenerProblem.js';
import { convergeStale, noProgressMessage } from './convergeFailure.js';
import { untilConverged } from './convergeWait.js';
import { checkRunnable } from './runners.js';
import { canaryStateOf } from './trackStates.js';
import { runReplicaId, runsOf, stopRun } from './cronRuns.js';
import { serviceStatus } from './serviceStatus.js';
import { ChangeWaiters } from './changeWaiters.js';
import { setServiceListener } from './serviceListener.js';
import { opaquePorts } from '../serviceAddress.js';
import type { ProcSnapshot } from './procfs.js';
import { Replica } from './replica.js';
import type { ReplicaContext, SetContext } from './replicaContext.js';
import { CONFIG_DIR, hashDirName, listReplicaDirs, readReplicaRecord, serviceDir } from './replicaStore.js';
import type { ArchiveReason } from './logArchive.js';
import { convergeCounts } from './rollingStep.js';
import { TrackReconciler } from './trackReconciler.js';
import { forgetMounts, isStateful, recordMounts } from './volumes.js';

/**
 * Between safety-net reconciles of a settled set whose replicas have not changed (replica.ts' full poll
 * cadence): every change (a replica's exit, a converge, a scale) wakes the set by itself.
 */
const SETTLED_RECONCILE_MS = 30_000;

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
  private listeners = new Set<(e: RuntimeEvent) => void>();
  private readonly changes = new ChangeWaiters();
  private servicePort: number | undefined;
  /** Gateway port of each L4 port of the service, by port name. */
  private tcpPorts = new Map<string, number>();
  private closed = false;
  /**
   * Settled at a tick (counts().done) and nothing changed since (a replica, the desired state, a
   * scale): its ticks skip the counts and the reconcile, but for one every SETTLED_RECONCILE_MS.
   */
  private quiet = false;
  private lastReconcileMs = 0;
  /** Starts and stops replicas of each track toward its target (trackReconciler.ts). */
  private readonly tracks: TrackReconciler;

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
    for (const l of ctx.gateway.table().tcp ?? []) if (l.key === this.key) this.tcpPorts.set(l.name, l.port);
    this.tracks = new TrackReconciler({
      key: this.key,
      dir: this.dir,
      app,
      env,
      ctx,
      replicas: this.replicas,
      current: (state) => (this.desired === state || this.canaryState === state) && !this.closed,
      emit: (e) => this.emit(e),
      wake: () => this.wake(),
      syncGateway: () => this.syncGateway(),
      replicaContext: () => this.replicaContext(),
      keepLogs: (r, reason) => this.keepLogs(r, reason),
    });
  }

  /** Adopts every replica directory found on disk; `serving` are the ids the gateway routes to now. */
  adoptFromDisk(serving: Set<string>): void {
    for (const d of listReplicaDirs(this.dir)) {
      const rec = readReplicaRecord(d);
      if (!rec || this.replicas.has(rec.id)) continue;
      const r = Replica.adopt(this.replicaContext(), d, rec, serving.has(rec.id));
      this.replicas.set(rec.id, r);
      this.ctx.logger.info({ service: this.key, replica: rec.id, pid: r.pid, phase: r.phase }, 'adopted replica');
    }
  }

  /** The replica count of a stateful service as desired now; undefined for other services or before converge. */
  get statefulReplicas(): number | undefined {
    return this.desired && isStateful(this.desired) ? this.desired.replicas : undefined;
  }

  /** The volume directories the replicas here mount (any phase but gone), each with a replica mounting it. */
  mountedVolumes(): Map<string, string> {
    const out = new Map<string, string>();
    for (const r of this.replicas.values()) for (const v of r.record.volumes ?? []) out.set(v, r.id);
    return out;
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
    checkRunnable(state, this.ctx.containerLaunch !== undefined);
    const gen = ++this.generation;
    this.quiet = false;
    this.ctx.hurry?.();
    this.desired = state;
    this.canaryState = canaryStateOf(state);
    this.traffic = state.canary ? (state.traffic ?? { canaryWeight: 0 }) : undefined;
    this.listeners.add(opts.onEvent);
    try {
      recordMounts(this.ctx.home, this.app, this.env, this.service, state.workload.volumes ?? []);
      this.servicePort = await this.ctx.ports.servicePort(this.key);
      const tcpPorts = new Map<string, number>();
      for (const p of opaquePorts(state.workload.ports)) {
        const first = p === state.workload.ports[0];
        tcpPorts.set(p.name, first ? this.servicePort : await this.ctx.ports.servicePort(`${this.key}:${p.name}`));
      }
      this.tcpPorts = tcpPorts;
      await this.ctx.gatewayReady();
      for (const r of this.replicas.values()) {
        r.restart = state.restart;
        const target = this.targets().find((t) => t.track === r.track)?.state;
        if (target && r.hash === target.hash && !r.terminating)
          r.provideLaunch(this.tracks.launchFor(target, r.record));
      }
      // The split first: without a canary, traffic is back on stable before a canary replica stops.
      await this.syncGateway();
      await untilConverged({
        state,
        signal: opts.signal,
        now: this.ctx.now,
        stale: () =>
          this.closed
            ? convergeStale('closed', state.service)
            : gen !== this.generation
              ? convergeStale('superseded', state.service)
              : undefined,
        reconcile: () => this.reconcile(),
        replicas: () => [...this.replicas.values()],
        counts: () => this.counts(),
        fresh: () => this.fresh(),
        settle: async () => {
          // Ready means reachable: return only once the gateway routes to every new replica.
          await this.syncGateway();
          const failed = this.ctx.gateway
            .listenerErrors()
            .find((e) => e.key === this.key || e.key.startsWith(`${this.key}:`));
          if (failed) throw addressCannotListen(state.service, failed);
        },
        failure: (elapsedMs) =>
          noProgressMessage(
            state.service,
            elapsedMs,
            { newReady: this.counts().newReady, desired: state.replicas + (this.canaryState?.replicas ?? 0) },
            [...this.replicas.values()],
            new Set(this.targets().map((t) => t.state.hash)),
          ),
        wait: (ms) => this.changes.wait(opts.signal, ms),
      });
      // Config directories per version, shared by its replicas, from before each replica had its own.
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
    this.wake();
    return true;
  }

  /** Starts run `runId` of the cronjob this set converged to. */
  async startRun(runId: string): Promise<void> {
    const state = this.desired;
    if (state?.run?.kind !== 'cronjob')
      throw new RuntimeError(`${this.service} is not a cronjob converged on this machine (yet)`);
    const id = runReplicaId(state.service, runId);
    if (this.replicas.has(id)) return;
    this.tracks.spawn(state, Track.stable, await this.ctx.ports.replicaPort(), { id });
    this.wake();
  }

  /** The cronjob's runs this set holds, oldest first. */
  runs(): JobRunStatus[] {
    return runsOf(this.service, this.replicas.values());
  }

  /** Stops a running run; it stays, failed as `replaced by a newer run`. */
  stopRun(runId: string): Promise<void> {
    return stopRun(this.replicas.get(runReplicaId(this.service, runId)), this.ctx.now);
  }

  /** Whether some replica's memory limit is enforced by Berth (not by an engine). */
  enforcesMemoryLimit(): boolean {
    for (const r of this.replicas.values()) if (r.enforcesMemoryLimit()) return true;
    return false;
  }

  /** Samples the usage of every replica whose last sample is USAGE_SAMPLE_MS old (or that has none yet). */
  sampleUsage(snap: ProcSnapshot): void {
    for (const r of this.replicas.values()) r.sampleNow(snap);
  }

  /**
   * Polling step for every replica, then one reconcile: at every tick while some replica is not
   * serving (starting, backing off, stopping) or being created; a set whose replicas all serve has
   * nothing to do at idle (a converge reconciles by itself): it stays quiet until something changes,
   * with one reconcile every SETTLED_RECONCILE_MS (on a sampling tick, `second`) as a safety net.
   * Answers whether the set is at rest after it: quiet (or never converged) and every replica at rest.
   */
  tick(snap: ProcSnapshot | undefined, second: boolean): boolean {
    for (const r of this.replicas.values()) r.tick(snap);
    if (this.desired && this.quiet) {
      const now = this.ctx.now();
      if (second && now - this.lastReconcileMs >= SETTLED_RECONCILE_MS) {
        this.lastReconcileMs = now;
        this.reconcile();
        // Counted at once: a safety net that found nothing to do leaves the set quiet (and the runtime at rest).
        this.quiet = this.counts().done;
      }
    } else if (this.desired) {
      // Settled as a converge judges it: every track at exactly its desired replicas, all serving, no start
      // pending (fewer replicas than desired, or an old version's still serving, is not settled).
      if (this.counts().done) this.quiet = true;
      else this.reconcile();
    }
    this.changes.wake();
    if (this.desired && !this.quiet) return false;
    for (const r of this.replicas.values()) if (!r.atRest) return false;
    return true;
  }

  /** Something changed: the next tick counts and reconciles again (soon: the runtime leaves its resting pace); converges waiting look again. */
  private wake(): void {
    this.quiet = false;
    this.ctx.hurry?.();
    this.changes.wake();
  }

  /** Stops every replica (gateway first), removes the listener and the service's directory. */
  async remove(): Promise<void> {
    this.quiet = false;
    this.ctx.hurry?.();
    this.desired = undefined;
    this.canaryState = undefined;
    this.traffic = undefined;
    this.generation++;
    const all = [...this.replicas.values()];
    for (const r of all) r.markTerminating();
    await this.ctx.gatewayReady();
    await this.ctx.gateway.update((t) => {
      t.services = t.services.filter((s) => s.key !== this.key);
      if (t.tcp) t.tcp = t.tcp.filter((l) => l.key !== this.key);
      t.generation++;
    });
    await Promise.all(all.map((r) => r.stop()));
    for (const r of all) this.keepLogs(r, 'removed');
    this.replicas.clear();
    rmSync(this.dir, { recursive: true, force: true });
    // The volumes stay (only `berth volume rm` / `down --volumes` delete data); no service mounts them now.
    forgetMounts(this.ctx.home, this.app, this.env, [this.service]);
    this.wake();
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
      tcpPorts: this.tcpPorts,
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
        tcpPorts: this.tcpPorts,
      });
      t.generation++;
    });
  }

  /** One reconcile step of each track toward its desired state (a canary not desired has 0 replicas). */
  private reconcile(): void {
    if (!this.desired || this.closed) return;
    this.tracks.reconcile(this.desired, this.canaryState);
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
    return convergeCounts([...this.replicas.values()], this.desired, this.canaryState, this.tracks.pendingStarts);
  }

  /** The replicas of the versions being converged to (stable and canary), not going away. */
  private fresh(): Replica[] {
    const wanted = new Set(this.targets().map((t) => t.state.hash));
    return [...this.replicas.values()].filter((r) => wanted.has(r.hash) && !r.terminating);
  }

  /** Archives a stopped replica's logs; a failure to keep them never blocks its removal. */
  private keepLogs(r: Replica, reason: ArchiveReason): void {
    try {
      this.ctx.archiveLogs(r.record, r.logDir, reason);
    } catch (err) {
      this.ctx.logger.warn({ err, replica: r.id }, 'could not keep the logs of a stopped replica');
    }
  }

  private replicaContext(): ReplicaContext {
    return {
      runnerFor: (rec, dir) => this.ctx.runnerFor(rec, dir),
      logMaxBytes: this.ctx.logMaxBytes,
      logKeep: this.ctx.logKeep,
      archiveLogs: (rec, logDir) => this.ctx.archiveLogs(rec, logDir, 'restarted'),
      now: this.ctx.now,
      emit: (e) => this.emit(e),
      changed: () => this.onReplicaChanged(),
      withdraw: () => this.syncGateway(),
    };
  }

  private onReplicaChanged(): void {
    this.syncGateway().catch((err: unknown) =>
      this.ctx.logger.warn({ err, service: this.key }, 'gateway update failed'),
    );
    this.wake();
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
