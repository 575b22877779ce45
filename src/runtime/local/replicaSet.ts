/**
 * One service's replicas in one environment: adopts what is on disk, reconciles toward the desired
 * state (scale, rolling update with maxSurge/maxUnavailable), keeps the gateway's backends equal to
 * the ready replicas (always withdrawing a replica before stopping it), and reports status.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConflictError, RuntimeError, TimeoutError } from '../../errors.js';
import type { GatewayControl, RoutingTable } from '../../gateway/table.js';
import type { ConvergeOptions, RuntimeEvent, ServiceState, ServiceStatus } from '../runtime.js';
import { pruneConfigDirs, writeConfigFiles } from './configFiles.js';
import { listenerProblem } from './listenerProblem.js';
import type { PortRegistry } from './ports.js';
import type { ProcSnapshot } from './procfs.js';
import { Replica } from './replica.js';
import type { Launch, ReplicaContext } from './replica.js';
import {
  CONFIG_DIR,
  hashDirName,
  listReplicaDirs,
  readReplicaRecord,
  serviceDir,
  writeReplicaRecord,
} from './replicaStore.js';
import type { ReplicaRecord } from './replicaStore.js';
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
  private desired: ServiceState | undefined;
  private generation = 0;
  private pendingStarts = 0;
  private listeners = new Set<(e: RuntimeEvent) => void>();
  private wakers = new Set<() => void>();
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

  /** Number of replicas (any phase) this set holds. */
  get size(): number {
    return this.replicas.size;
  }

  /** Makes the replicas match `state`; see Runtime.converge. */
  async converge(state: ServiceState, opts: ConvergeOptions): Promise<void> {
    if (!state.workload.command || state.workload.command.length === 0) {
      throw new RuntimeError(
        `${state.service}: the workload has no command (the local runtime runs commands, not images)`,
      );
    }
    const limits = rolloutLimits(state.rollout, state.replicas);
    const gen = ++this.generation;
    this.desired = state;
    this.listeners.add(opts.onEvent);
    try {
      writeConfigFiles(this.configDir(state.hash), state.workload.files);
      this.servicePort = await this.ctx.ports.servicePort(this.key);
      await this.ctx.gatewayReady();
      for (const r of this.replicas.values()) {
        r.restart = state.restart;
        if (r.hash === state.hash && !r.terminating) r.provideLaunch(this.launchFor(state, r.record));
      }
      await this.syncGateway();
      const startedMs = this.ctx.now();
      let lastProgressMs = startedMs;
      let progress = '';
      for (;;) {
        if (opts.signal.aborted) throw abortError(opts.signal, state.service);
        if (this.closed) throw new RuntimeError(`${state.service}: the runtime was closed during converge`);
        if (gen !== this.generation) throw new ConflictError(`${state.service}: superseded by a newer converge`);
        this.reconcile(limits);
        const c = this.counts(state.hash);
        if (c.done) {
          // Ready means reachable: return only once the gateway routes to every new replica.
          await this.syncGateway();
          const failed = this.ctx.gateway.listenerErrors().find((e) => e.key === this.key);
          if (failed) throw new RuntimeError(`${state.service}: ${listenerProblem('its address', failed)}`);
          break;
        }
        const now = this.ctx.now();
        const sig = `${c.newReady}/${c.newCount}/${this.replicas.size}`;
        if (sig !== progress) {
          progress = sig;
          lastProgressMs = now;
        }
        if (now - lastProgressMs >= state.rollout.progressDeadlineMs) {
          throw new TimeoutError(this.failureMessage(state, now - startedMs), { details: { service: state.service } });
        }
        await this.waitForChange(
          opts.signal,
          Math.min(1000, state.rollout.progressDeadlineMs - (now - lastProgressMs)),
        );
      }
      pruneConfigDirs(join(this.dir, CONFIG_DIR), new Set([hashDirName(state.hash)]));
    } finally {
      this.listeners.delete(opts.onEvent);
    }
  }

  /** Replicas started since the last usage sample. */
  unmeasured(): Replica[] {
    return [...this.replicas.values()].filter((r) => r.needsSample());
  }

  /** Polling step for every replica, then one reconcile. */
  tick(snap: ProcSnapshot | undefined): void {
    for (const r of this.replicas.values()) r.tick(snap);
    if (this.desired) this.reconcile(rolloutLimits(this.desired.rollout, this.desired.replicas));
    this.wake();
  }

  /** Stops every replica (gateway first), removes the listener and the service's directory. */
  async remove(): Promise<void> {
    this.desired = undefined;
    this.generation++;
    const all = [...this.replicas.values()];
    for (const r of all) r.markTerminating();
    await this.ctx.gatewayReady();
    await this.ctx.gateway.update((t) => {
      t.services = t.services.filter((s) => s.key !== this.key);
      t.generation++;
    });
    await Promise.all(all.map((r) => r.stop()));
    this.replicas.clear();
    rmSync(this.dir, { recursive: true, force: true });
    this.wake();
  }

  /** Stops probes and waiters; processes keep running. */
  close(): void {
    this.closed = true;
    for (const r of this.replicas.values()) r.dispose();
    this.wake();
  }

  status(): ServiceStatus {
    const replicas = [...this.replicas.values()].sort((a, b) => a.record.created.localeCompare(b.record.created));
    const d = this.desired;
    const any = replicas[0];
    return {
      app: this.app,
      env: this.env,
      service: this.service,
      ...(d ? { revision: d.revision, hash: d.hash } : any ? { revision: any.record.revision, hash: any.hash } : {}),
      desiredReplicas: d ? d.replicas : replicas.filter((r) => !r.terminating).length,
      readyReplicas: replicas.filter((r) => r.serving && (!d || r.hash === d.hash)).length,
      ...(this.servicePort !== undefined
        ? { address: { host: '127.0.0.1', port: this.servicePort, url: `http://127.0.0.1:${this.servicePort}` } }
        : {}),
      replicas: replicas.map((r) => r.status()),
    };
  }

  /** Sets the gateway's backends to the serving replicas; resolves once the gateway serves them. */
  syncGateway(): Promise<void> {
    const port = this.servicePort;
    if (port === undefined) return Promise.resolve();
    return this.ctx.gateway.update((t: RoutingTable) => {
      const backends = [...this.replicas.values()]
        .filter((r) => r.serving)
        .map((r) => ({ id: r.id, host: '127.0.0.1', port: r.record.port }));
      const listener = t.services.find((s) => s.key === this.key);
      if (listener) {
        listener.port = port;
        listener.backends = backends;
      } else t.services.push({ key: this.key, port, backends });
      t.generation++;
    });
  }

  private reconcile(limits: { maxSurge: number; maxUnavailable: number }): void {
    const state = this.desired;
    if (!state || this.closed) return;
    const live = [...this.replicas.values()].filter((r) => !r.terminating);
    const fresh = live.filter((r) => r.hash === state.hash);
    const old = live.filter((r) => r.hash !== state.hash);
    const step = planRollout(
      {
        desired: state.replicas,
        newCount: fresh.length + this.pendingStarts,
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
      const total = fresh.length + this.pendingStarts + step.start - step.removeNew;
      this.emit({
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: `scaling ${state.service} (${shortHash(state.hash)}) to ${total}, removing ${victims.length} replica(s)`,
      });
    }
    for (let i = 0; i < step.start; i++) void this.startReplica(state);
    for (const v of victims) void this.retire(v);
  }

  private async startReplica(state: ServiceState): Promise<void> {
    this.pendingStarts++;
    try {
      const port = await this.ctx.ports.replicaPort();
      if (this.desired !== state || this.closed) return;
      const id = `${state.service}-${shortHash(state.hash)}-${randomBytes(3).toString('hex').slice(0, 5)}`;
      const record: ReplicaRecord = {
        id,
        app: state.app,
        env: state.env,
        service: state.service,
        hash: state.hash,
        revision: state.revision,
        port,
        restarts: 0,
        backoffStreak: 0,
        created: new Date(this.ctx.now()).toISOString(),
        spec: {
          ...(state.workload.readiness ? { readiness: state.workload.readiness } : {}),
          ...(state.workload.liveness ? { liveness: state.workload.liveness } : {}),
          terminationGracePeriodMs: state.workload.terminationGracePeriodMs,
          ...(state.workload.resources.memoryLimitBytes !== undefined
            ? { memoryLimitBytes: state.workload.resources.memoryLimitBytes }
            : {}),
          ...(state.workload.cwd ? { cwd: state.workload.cwd } : {}),
          restart: state.restart,
        },
      };
      const dir = join(this.dir, id);
      writeReplicaRecord(dir, record);
      this.emit({ replica: id, type: 'Normal', reason: 'Scheduled', message: `assigned ${id} port ${port}` });
      const r = Replica.create(this.replicaContext(id), dir, record, this.launchFor(state, record));
      r.restart = state.restart;
      this.replicas.set(id, r);
    } catch (err) {
      this.emit({
        type: 'Warning',
        reason: 'FailedCreate',
        message: `cannot create a replica of ${state.service}: ${(err as Error).message}`,
      });
    } finally {
      this.pendingStarts--;
      this.wake();
    }
  }

  private async retire(r: Replica): Promise<void> {
    r.markTerminating();
    this.emit({
      replica: r.id,
      type: 'Normal',
      reason: 'Killing',
      message: `stopping replica ${r.id} (grace period ${r.record.spec.terminationGracePeriodMs}ms)`,
    });
    try {
      await this.syncGateway();
    } catch (err) {
      this.ctx.logger.warn({ err, replica: r.id }, 'gateway update failed before stopping a replica');
    }
    await r.stop();
    rmSync(r.dir, { recursive: true, force: true });
    this.replicas.delete(r.id);
    this.wake();
  }

  private launchFor(state: ServiceState, rec: ReplicaRecord): Launch {
    return {
      command: state.workload.command ?? [],
      ...(state.workload.cwd ? { cwd: state.workload.cwd } : {}),
      env: {
        ...inheritedEnv(),
        ...state.workload.env,
        PORT: String(rec.port),
        BERTH_CONFIG_DIR: this.configDir(state.hash),
        BERTH_APP: state.app,
        BERTH_ENV: state.env,
        BERTH_SERVICE: state.service,
        BERTH_REPLICA: rec.id,
      },
    };
  }

  private configDir(hash: string): string {
    return join(this.dir, CONFIG_DIR, hashDirName(hash));
  }

  private counts(hash: string): { done: boolean; newCount: number; newReady: number } {
    const all = [...this.replicas.values()];
    const fresh = all.filter((r) => r.hash === hash && !r.terminating);
    const newReady = fresh.filter((r) => r.serving).length;
    const desired = this.desired?.replicas ?? 0;
    const done = this.pendingStarts === 0 && all.length === desired && fresh.length === desired && newReady === desired;
    return { done, newCount: fresh.length, newReady };
  }

  private failureMessage(state: ServiceState, elapsedMs: number): string {
    const c = this.counts(state.hash);
    const parts = [...this.replicas.values()]
      .filter((r) => r.hash === state.hash && !r.serving && !r.terminating)
      .map((r) => {
        const s = r.status();
        // A crash loop is better explained by how the last run ended than by the current attempt.
        if (s.lastExit && s.restarts > 0 && s.phase !== 'unready')
          return `${r.id}: ${s.lastExit.reason} (${s.restarts} restarts)`;
        return `${r.id}: ${s.message ?? s.phase}`;
      });
    const head = `${state.service}: ${c.newReady}/${state.replicas} replicas ready after ${Math.round(elapsedMs / 1000)}s`;
    const old = [...this.replicas.values()].filter((r) => r.hash !== state.hash).length;
    const tail = old > 0 ? [`${old} replica(s) of an older version remain`] : [];
    return [head, ...parts, ...tail].join('; ');
  }

  private replicaContext(id: string): ReplicaContext {
    return {
      shims: this.ctx.shims,
      logMaxBytes: this.ctx.logMaxBytes,
      logKeep: this.ctx.logKeep,
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

  private waitForChange(signal: AbortSignal, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(10, timeoutMs));
      signal.addEventListener('abort', done, { once: true });
      this.wakers.add(done);
    });
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}

/** Variables of the machine a process needs to behave normally (a container image would set them). */
const INHERITED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SHELL'];

function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of INHERITED) {
    const v = process.env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function shortHash(hash: string): string {
  return (
    hash
      .replace(/^[a-z0-9]+:/i, '')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 5)
      .toLowerCase() || 'x'
  );
}

function abortError(signal: AbortSignal, service: string): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new RuntimeError(`${service}: converge aborted`);
}
