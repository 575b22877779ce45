/**
 * The local runtime's supervision clock: a tick every pollIntervalMs steps every replica set (exits,
 * backoffs, stops, reconciles); once a second a tick is a sampling one (settled sets' safety-net
 * reconciles, the usage of replicas under a memory limit Berth enforces), and every two seconds it
 * checks the gateway process. While every set is at rest (settled, every replica running and watched,
 * or down for good) nothing needs a tick but those safety nets: a replica's exit, its shim's end and
 * a converge wake supervision by themselves. So the clock rests: one tick every RESTING_TICK_MS (the
 * gateway checked at each), or every second while a replica's memory limit is Berth's to enforce,
 * until a set with work again calls hurry().
 */
import type { Logger } from 'pino';
import type { ProcSnapshot } from './procfs.js';
import type { ReplicaSet } from './replicaSet.js';
import type { UsageSnapshots } from './usageSnapshots.js';
import { onTheBeat } from '../../wakeups.js';

/** How often supervision checks that the gateway process is alive. */
const GATEWAY_CHECK_MS = 2_000;
/** Between sampling ticks: settled replica sets reconcile, and replicas under a memory limit Berth enforces are measured (usageSnapshots.ts). */
const DEFAULT_SAMPLE_INTERVAL_MS = 1_000;
/**
 * Between ticks while every set is at rest: the settled sets' safety nets (replicaSet.ts, replica.ts'
 * full polls), the gateway's check (a dead gateway is started again within this), an adopted shim's.
 */
const RESTING_TICK_MS = 5_000;

export interface SupervisionClockOptions {
  sets: () => Iterable<ReplicaSet>;
  /** Whether any set exists (the gateway is checked only then). */
  anySet: () => boolean;
  snapshots: UsageSnapshots;
  /** The gateway's periodic check (GatewayControl.heal). */
  healGateway: () => Promise<void>;
  logger: Logger;
  now: () => number;
  pollIntervalMs?: number;
  sampleIntervalMs?: number;
}

/** Ticks the replica sets: at the usual pace while some set has work, once a second while all rest. */
export class SupervisionClock {
  private timer: NodeJS.Timeout | undefined;
  /** The pending tick is a resting one. */
  private resting = false;
  /** A set asked for the usual pace during the tick running now. */
  private hurried = false;
  private stopped = false;
  private lastSampleMs = 0;
  private lastGatewayCheckMs = 0;
  /** Some replica's memory limit is Berth's to enforce (measured each second): the clock rests at that pace. */
  private limited = false;
  private readonly o: SupervisionClockOptions;

  constructor(o: SupervisionClockOptions) {
    this.o = o;
  }

  /** True while the pending tick is a resting one. */
  get isResting(): boolean {
    return this.resting && this.timer !== undefined;
  }

  start(): void {
    if (!this.stopped && this.timer === undefined) this.schedule(false);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A set has work again: a resting tick pending is replaced by one at the usual pace. */
  hurry(): void {
    this.hurried = true;
    if (!this.resting || this.timer === undefined || this.stopped) return;
    clearTimeout(this.timer);
    this.schedule(false);
  }

  private get pollMs(): number {
    return this.o.pollIntervalMs ?? 250;
  }

  private schedule(resting: boolean): void {
    this.resting = resting;
    const restMs = this.limited ? (this.o.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS) : RESTING_TICK_MS;
    // At rest, ticks end on the beat (wakeups.ts): the cron scheduler's and autoscaler's wake the process with them.
    this.timer = setTimeout(() => this.tick(), resting ? onTheBeat(Math.max(this.pollMs, restMs)) : this.pollMs);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    this.hurried = false;
    let rest = true;
    try {
      rest = this.tickSets();
    } finally {
      if (!this.stopped) this.schedule(rest && !this.hurried);
    }
  }

  /** One supervision step of every set; answers whether all of them are at rest. */
  private tickSets(): boolean {
    const now = this.o.now();
    let snap: ProcSnapshot | undefined;
    // Timers fire a little late or, rounded, a millisecond early: a resting tick (a second apart) is a sampling one.
    const second = now - this.lastSampleMs >= (this.o.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS) - 5;
    if (second) {
      this.lastSampleMs = now;
      let limited = false;
      for (const s of this.o.sets()) if ((limited = s.enforcesMemoryLimit())) break;
      this.limited = limited;
      // Only a memory limit Berth enforces needs a sample each second; the others are read when observed.
      if (limited) snap = this.o.snapshots.take(now, limited);
    }
    if (now - this.lastGatewayCheckMs >= GATEWAY_CHECK_MS && this.o.anySet()) {
      // A /proc read when the gateway is alive; restarts a dead one on its saved table (addresses and edges heal).
      this.lastGatewayCheckMs = now;
      this.o.healGateway().catch((err: unknown) => this.o.logger.warn({ err }, 'gateway check failed'));
    }
    let rest = true;
    for (const s of this.o.sets()) {
      try {
        if (!s.tick(snap, second)) rest = false;
      } catch (err) {
        rest = false;
        this.o.logger.error({ err, service: s.key }, 'supervision tick failed');
      }
    }
    return rest;
  }
}
