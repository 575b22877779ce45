/**
 * Track reconciliation of one service's replicas: each step starts and stops replicas of the stable
 * and canary tracks toward their targets — a rolling update (maxSurge/maxUnavailable), a stateful
 * service one index at a time, a job's single run — always withdrawing a replica from the gateway
 * before stopping it. ReplicaSet owns the replicas and the targets; this owns the starts in flight.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Track } from '../../model/routing.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import { message, said } from '../../model/messages.js';
import { replicaConfigDir, writeReplicaConfig } from './replicaConfig.js';
import { launchOf, newReplicaRecord, shortHash } from './replicaLaunch.js';
import { isJob, jobPlan } from './jobRun.js';
import { runsToPrune } from './cronRuns.js';
import { namedReplicaPorts } from './ports.js';
import { Replica } from './replica.js';
import type { Launch, ReplicaContext, SetContext } from './replicaContext.js';
import { writeReplicaRecord } from './replicaStore.js';
import type { ReplicaRecord } from './replicaStore.js';
import type { ArchiveReason } from './logArchive.js';
import { planStateful } from './statefulRollout.js';
import { rollingStep } from './rollingStep.js';
import { isStateful, prepareVolumes } from './volumes.js';

/** What the reconciler needs of its ReplicaSet. */
export interface ReconcileHost {
  readonly key: string;
  readonly dir: string;
  readonly app: string;
  readonly env: string;
  readonly ctx: SetContext;
  /** The set's replicas by id: the reconciler adds the ones it starts and deletes the ones it stopped. */
  readonly replicas: Map<string, Replica>;
  /** Whether `state` is still a target (stable or canary) of an open set: a start that waited for ports checks it. */
  current(state: ServiceState): boolean;
  emit(e: Omit<RuntimeEvent, 'time' | 'service'>): void;
  /** Wakes converge's waiters: something changed. */
  wake(): void;
  /** Sets the gateway's backends to the serving replicas. */
  syncGateway(): Promise<void>;
  replicaContext(): ReplicaContext;
  keepLogs(r: Replica, reason: ArchiveReason): void;
}

/** Starts and stops the replicas of each track of one service toward its target. */
export class TrackReconciler {
  /** Replicas being created per track (their ports are being allocated). */
  readonly pendingStarts = new Map<Track, number>();
  /** Slots of the replicas being created, as `<track>/<index>`. */
  private readonly pendingSlots = new Set<string>();

  private readonly set: ReconcileHost;

  constructor(set: ReconcileHost) {
    this.set = set;
  }

  /** One reconcile step of each track toward its desired state (a canary not desired has 0 replicas). */
  reconcile(desired: ServiceState, canary: ServiceState | undefined): void {
    this.reconcileTrack(Track.stable, desired);
    this.reconcileTrack(Track.canary, canary);
  }

  private reconcileTrack(track: Track, target: ServiceState | undefined): void {
    const live = [...this.set.replicas.values()].filter((r) => !r.terminating && r.track === track);
    if (!target) {
      // No canary wanted: every replica of the track leaves (traffic already went back to stable).
      for (const v of live) void this.retire(v);
      return;
    }
    const state = target;
    if (isJob(state)) {
      const plan = jobPlan(state, live, this.pendingStarts.get(track) ?? 0);
      for (const v of plan.retire) void this.retire(v);
      if (plan.start) void this.startReplica(state, track, 0);
      return;
    }
    if (state.run?.kind === 'cronjob') {
      for (const v of runsToPrune(live)) void this.retire(v);
      return;
    }
    if (isStateful(state) && track === Track.stable) {
      this.reconcileStateful(state, track);
      return;
    }
    const pendingSlots = [...this.pendingSlots]
      .filter((k) => k.startsWith(`${track}/`))
      .map((k) => Number(k.slice(track.length + 1)));
    const { slots, victims, scaling } = rollingStep(
      state,
      track,
      live,
      this.pendingStarts.get(track) ?? 0,
      pendingSlots,
    );
    if (scaling) this.set.emit({ type: 'Normal', reason: 'ScalingReplicaSet', ...said(scaling) });
    for (const index of slots) void this.startReplica(state, track, index);
    for (const v of victims) void this.retire(v);
  }

  /** One StatefulSet step: one replica starts or stops at a time, in index order (statefulRollout.ts). */
  private reconcileStateful(state: ServiceState, track: Track): void {
    const all = [...this.set.replicas.values()].filter((r) => r.track === track);
    const step = planStateful(state.replicas, state.hash, all, this.pendingStarts.get(track) ?? 0);
    if (step.kind === 'start') {
      const creating = message('event.creatingReplica', {
        replica: `${state.service}-${step.index}`,
        hash: shortHash(state.hash),
        replicas: state.replicas,
      });
      this.set.emit({ type: 'Normal', reason: 'SuccessfulCreate', ...said(creating) });
      void this.startReplica(state, track, step.index);
    } else if (step.kind === 'stop') {
      const victim = this.set.replicas.get(step.id);
      if (victim) void this.retire(victim);
    }
  }

  private async startReplica(state: ServiceState, track: Track, index: number): Promise<void> {
    this.pendingStarts.set(track, (this.pendingStarts.get(track) ?? 0) + 1);
    this.pendingSlots.add(`${track}/${index}`);
    try {
      // A stateful replica keeps its port across restarts and updates (its stable address).
      const port = isStateful(state)
        ? await this.set.ctx.ports.indexPort(this.set.key, index)
        : await this.set.ctx.ports.replicaPort();
      const ports = await namedReplicaPorts(this.set.ctx.ports, state.workload.ports, port);
      if (!this.set.current(state)) return;
      this.spawn(state, track, port, { index, ports });
    } catch (err) {
      this.set.emit({
        type: 'Warning',
        reason: 'FailedCreate',
        ...said(message('event.failedCreate', { service: state.service, error: (err as Error).message })),
      });
    } finally {
      this.pendingSlots.delete(`${track}/${index}`);
      this.pendingStarts.set(track, (this.pendingStarts.get(track) ?? 1) - 1);
      this.set.wake();
    }
  }

  /** Writes a new replica's record (slot `index`; `id`: a cronjob run's) and starts it. */
  spawn(
    state: ServiceState,
    track: Track,
    port: number,
    o: { index?: number; id?: string; ports?: Record<string, number> } = {},
  ): void {
    const record = newReplicaRecord(state, track, port, this.set.ctx.now(), o.index, o.id, o.ports);
    const dir = join(this.set.dir, record.id);
    writeReplicaRecord(dir, record);
    const named = Object.entries(o.ports ?? {})
      .slice(1)
      .map(([n, p]) => `, ${n} ${p}`)
      .join('');
    const scheduled = said(message('event.scheduled', { replica: record.id, port: `${port}${named}` }));
    this.set.emit({ replica: record.id, type: 'Normal', reason: 'Scheduled', ...scheduled });
    let launch: Launch;
    try {
      launch = this.launchFor(state, record);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const r = Replica.create(this.set.replicaContext(), dir, record, launch);
    r.restart = state.restart;
    this.set.replicas.set(record.id, r);
  }

  private async retire(r: Replica): Promise<void> {
    r.markTerminating();
    this.set.emit({
      replica: r.id,
      type: 'Normal',
      reason: 'Killing',
      ...said(message('event.stopping', { replica: r.id, graceMs: r.record.spec.terminationGracePeriodMs })),
    });
    try {
      await this.set.syncGateway();
    } catch (err) {
      this.set.ctx.logger.warn({ err, replica: r.id }, 'gateway update failed before stopping a replica');
    }
    await r.stop();
    this.set.keepLogs(r, 'replaced');
    rmSync(r.dir, { recursive: true, force: true });
    this.set.replicas.delete(r.id);
    this.set.wake();
  }

  /** How to start `rec`, its config directory written first (a replica of before it had one gets it now). */
  launchFor(state: ServiceState, rec: ReplicaRecord): Launch {
    const dir = join(this.set.dir, rec.id);
    const runtimeEnv = {
      ...this.set.ctx.replicaAddresses(this.set.app, this.set.env),
      ...prepareVolumes(this.set.ctx.home, state, rec.index),
    };
    const make = state.workload.runAs === 'container' ? this.set.ctx.containerLaunch : undefined;
    const launch = (make ?? launchOf)(state, rec, replicaConfigDir(dir), runtimeEnv);
    // Per-replica values as the replica sees them ($PORT and $BERTH_CONFIG_DIR: a container's are its own).
    const seen = { port: Number(launch.env.PORT ?? rec.port), configDir: launch.env.BERTH_CONFIG_DIR };
    writeReplicaConfig(dir, state.workload.files, { ...rec, ...seen, ports: state.workload.ports, env: launch.env });
    return launch;
  }
}
