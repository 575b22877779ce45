/**
 * One replica's lifecycle: start a run through its runner (a process under its shim, or a container:
 * runner.ts), watch for the run's exit (polled), run its probes, restart it in place after a backoff,
 * enforce its memory limit (unless the engine does), and stop it gracefully.
 */
import type { FSWatcher } from 'node:fs';
import { watchExit } from './exitWatch.js';
import { ReplicaPhase } from '../../model/observation.js';
import { message, said, type Message } from '../../model/messages.js';
import type { ReplicaStatus } from '../../model/observation.js';
import type { RestartPolicy } from '../../model/serviceState.js';
import type { Track } from '../../model/routing.js';
import { DEFAULT_RESTART_POLICY } from './backoff.js';
import { waitingToRestart } from './exitReason.js';
import { UsageMeter, enforcedLimit } from './replicaUsage.js';
import { reportUnready } from './replicaReadiness.js';
import { completedMessage, recordExit, scheduleBackOff } from './replicaExit.js';
import { ReplicaProbes } from './replicaProbes.js';
import { SHIM_START_TIMEOUT_MS, iso } from './replicaRun.js';
import type { ProcSnapshot } from './procfs.js';
import { writeReplicaRecord } from './replicaStore.js';
import type { ReplicaRecord } from './replicaStore.js';
import type { ExitInfo } from './shimFiles.js';
import type { Launch, ReplicaContext } from './replicaContext.js';
import type { RunIdentity, Runner } from './runner.js';
import { completionOf, logTailOf } from './jobRun.js';

/** Extra time after the grace period before the runtime kills a stuck stop itself. */
const STOP_SAFETY_MS = 5_000;
/** Between checks (signal 0) of a steady watched replica's adopted shim; a spawned one wakes it when it ends. */
const STEADY_POLL_MS = 1_000;
/** Between full polls of a steady watched run (exit.json, the shim's start time): a safety net behind the wakes. */
const STEADY_FULL_POLL_MS = 30_000;

/** One supervised replica. */
export class Replica {
  phase: ReplicaPhase = ReplicaPhase.starting;
  terminating = false;
  /** Restart backoff of the current desired state (kept up to date by the replica set). */
  restart: RestartPolicy = DEFAULT_RESTART_POLICY;
  /** Where the current run stands: none, being started, or running (`current`). */
  private run: 'down' | 'starting' | 'running' = 'down';
  private current: RunIdentity | undefined;
  private readonly runner: Runner;
  private message: Message | undefined;
  private readonly probes = new ReplicaProbes();
  private pendingReason: Message | undefined;
  private stopRequestedAtMs: number | undefined;
  private termSent = false;
  private stopWaiters: (() => void)[] = [];
  private readonly usage = new UsageMeter();
  private everRunning = false;
  /** Watches the replica directory for the shim's exit.json while the run is up (process runs only). */
  private watcher: FSWatcher | undefined;
  private lastPollMs = 0;
  private lastFullPollMs = 0;

  private readonly ctx: ReplicaContext;
  readonly dir: string;
  readonly record: ReplicaRecord;
  private launch: Launch | undefined;

  private constructor(ctx: ReplicaContext, dir: string, record: ReplicaRecord, launch: Launch | undefined) {
    this.ctx = ctx;
    this.dir = dir;
    this.record = record;
    this.launch = launch;
    this.runner = ctx.runnerFor(record, dir);
    this.runner.onSupervisorExit?.(() => this.wake());
  }

  /** Creates a new replica and starts it. */
  static create(ctx: ReplicaContext, dir: string, record: ReplicaRecord, launch: Launch): Replica {
    const r = new Replica(ctx, dir, record, launch);
    r.start();
    return r;
  }

  /**
   * Takes over a replica found on disk: a live shim is adopted as is (`serving` says whether the
   * gateway still routes to it), anything else is handled on the next tick.
   */
  static adopt(ctx: ReplicaContext, dir: string, record: ReplicaRecord, serving: boolean): Replica {
    const r = new Replica(ctx, dir, record, undefined);
    if (record.spec.restart) r.restart = record.spec.restart;
    if (record.completion) {
      // A job's run that ended for good: kept as the record that its hash ran.
      r.phase = ReplicaPhase.exited;
      r.message = completedMessage(record);
      return r;
    }
    const found = r.runner.adopt(ctx.now(), !record.backoffUntil);
    if (found === 'running') {
      r.run = 'running';
      r.current = r.runner.current();
      r.everRunning = true;
      r.watchRun();
      r.phase = !record.spec.job && (serving || !record.spec.readiness) ? ReplicaPhase.ready : ReplicaPhase.starting;
      if (r.phase === ReplicaPhase.ready) record.everReady = true;
      const ranMs = ctx.now() - Date.parse(record.startedAt ?? record.created);
      r.startProbes(ranMs);
    } else if (found === 'ended') {
      // Its exit is read on the next tick.
      r.run = 'running';
    } else if (found === 'starting') {
      r.run = 'starting';
    } else if (record.backoffUntil) {
      r.phase = ReplicaPhase.backoff;
      r.message = waitingToRestart(record.lastExit);
    }
    return r;
  }

  get id(): string {
    return this.record.id;
  }

  get hash(): string {
    return this.record.hash;
  }

  get track(): Track {
    return this.record.track ?? 'stable';
  }

  /** The pid of the replica's command, when it runs (and the host sees it). */
  get pid(): number | undefined {
    const pid = this.run === 'running' ? this.current?.pid : undefined;
    return pid !== undefined && pid > 0 ? pid : undefined;
  }

  /** The container running the replica, when it runs as one. */
  get container(): string | undefined {
    return this.run === 'running' ? this.current?.container : undefined;
  }

  /** The directory the current run's logs are written to. */
  get logDir(): string {
    return this.runner.logDir;
  }

  /** True when the gateway may send it requests. */
  get serving(): boolean {
    return this.phase === ReplicaPhase.ready && !this.terminating;
  }

  /** Gives an adopted replica what it needs to restart; restarts it now if it is down. */
  provideLaunch(launch: Launch): void {
    this.launch = launch;
    if (this.record.completion) return;
    if (!this.terminating && this.run === 'down' && this.phase === ReplicaPhase.exited) this.start();
  }

  /** Polling step: exit detection, backoff expiry, resource sampling, stop safety net. */
  tick(snap: ProcSnapshot | undefined): void {
    const now = this.ctx.now();
    if (this.run === 'down') {
      const until = this.record.backoffUntil ? Date.parse(this.record.backoffUntil) : undefined;
      if (!this.terminating && this.phase === ReplicaPhase.backoff && until !== undefined && now >= until) {
        if (this.launch) this.start();
        else {
          this.phase = ReplicaPhase.exited;
          this.message = message('replica.waitingForConverge');
          this.ctx.changed();
        }
      }
      return;
    }
    if (this.steady(now)) {
      if (snap) this.sample(snap);
      return;
    }
    this.lastPollMs = now;
    this.lastFullPollMs = now;
    // Unwatched, a shim's probes.json is read on every poll instead of when it changes.
    if (!this.watcher) this.probes.refresh();
    const seen = this.runner.poll(now);
    if (seen?.kind === 'exited') {
      this.onExit(seen.info);
      return;
    }
    if (seen?.kind === 'running') this.onRunning(seen.run);
    if (this.run !== 'running' || seen !== undefined) return;
    if (this.terminating && this.stopRequestedAtMs !== undefined) {
      if (!this.termSent) this.sendTerm();
      if (now - this.stopRequestedAtMs > this.record.spec.terminationGracePeriodMs + STOP_SAFETY_MS)
        this.runner.kill(true);
    }
    if (snap) this.sample(snap);
  }

  /** Nothing for a tick to do before its next steady poll: running and watched (its exit wakes it), or down with no backoff. */
  get atRest(): boolean {
    if (this.run === 'down') return this.terminating || this.phase !== ReplicaPhase.backoff;
    return this.watcher !== undefined && this.run === 'running' && !this.terminating;
  }

  /** Steady, watched and its shim alive: no poll this tick (a full one every STEADY_FULL_POLL_MS). */
  private steady(now: number): boolean {
    if (!this.watcher || this.run !== 'running' || this.terminating) return false;
    if (now - this.lastFullPollMs >= STEADY_FULL_POLL_MS) return false;
    if (now - this.lastPollMs < STEADY_POLL_MS || this.runner.supervisorWatched?.()) return true;
    this.lastPollMs = now;
    return this.runner.supervisorAlive?.() !== false;
  }

  /** Marks the replica as going away (no longer serving) without signalling it yet. */
  markTerminating(): void {
    if (this.terminating) return;
    this.terminating = true;
    if (this.run !== 'down') this.phase = ReplicaPhase.terminating;
    this.probes.stop();
    this.ctx.changed();
  }

  /** SIGTERM to the shim (which sends the service's stop signal), SIGKILL after the grace period; resolves once the command is gone. */
  stop(): Promise<void> {
    this.markTerminating();
    if (this.run === 'down') {
      this.phase = ReplicaPhase.exited;
      this.record.backoffUntil = undefined;
      return Promise.resolve();
    }
    this.phase = ReplicaPhase.terminating;
    this.message = undefined;
    this.stopRequestedAtMs ??= this.ctx.now();
    this.sendTerm();
    return new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  /** Stops probes; the run keeps going (used by `close`). */
  dispose(): void {
    this.unwatchRun();
    this.probes.stop();
    this.runner.release();
  }

  status(): ReplicaStatus {
    const why = this.describeMessage();
    return {
      id: this.id,
      ...(this.record.index !== undefined ? { index: this.record.index } : {}),
      phase: this.phase,
      hash: this.hash,
      ...(this.pid !== undefined ? { pid: this.pid } : {}),
      port: this.record.port,
      ...(this.container !== undefined ? { container: this.container.slice(0, 12) } : {}),
      ...(this.record.startedAt && this.run !== 'down' ? { startedAt: this.record.startedAt } : {}),
      restarts: this.record.restarts,
      ...(this.record.lastExit ? { lastExit: this.record.lastExit } : {}),
      ...(why ? { message: why.text, messageDetail: why } : {}),
      ...this.usage.current,
    };
  }

  /** Why the replica is not ready, in one line (used by converge's failure message). */
  describe(): string | undefined {
    return this.describeMessage()?.text;
  }

  /** `describe` as a code with params, for the console to translate. */
  describeMessage(): Message | undefined {
    if (this.message) return this.message;
    if (this.phase === ReplicaPhase.starting || this.phase === ReplicaPhase.unready) {
      const r = this.probes.readiness;
      if (r && r.lastMessage) return message('event.readinessFailed', { detail: r.lastDetail ?? r.lastMessage });
      if (this.run === 'starting')
        return message(this.record.runAs === 'container' ? 'replica.startingContainer' : 'replica.startingProcess');
      if (r) return message('replica.waitingForReadiness');
    }
    return undefined;
  }

  private start(): void {
    const launch = this.launch;
    if (!launch) return;
    const now = this.ctx.now();
    // The run before this one (if it wrote anything) becomes `--previous`; this run logs afresh.
    try {
      this.ctx.archiveLogs(this.record, this.runner.logDir);
    } catch (err) {
      this.ctx.emit({
        replica: this.id,
        type: 'Warning',
        reason: 'Logs',
        ...said(message('event.logsNotKept', { error: String(err) })),
      });
    }
    this.record.startedAt = iso(now);
    this.record.backoffUntil = undefined;
    writeReplicaRecord(this.dir, this.record);
    this.phase = ReplicaPhase.starting;
    this.message = undefined;
    this.pendingReason = undefined;
    this.usage.reset();
    this.termSent = false;
    this.runner.start(launch, now);
    this.run = 'starting';
    this.current = undefined;
    this.ctx.changed();
    this.watchStart();
  }

  /**
   * Notices the run starting (or failing to) within ~10 ms instead of at the next supervision tick,
   * so probes start (and a rollout moves on) as soon as the command runs. Only while starting.
   */
  private watchStart(): void {
    const since = this.ctx.now();
    const check = (): void => {
      if (this.run !== 'starting') return;
      const seen = this.runner.poll(this.ctx.now());
      if (seen?.kind === 'running') this.onRunning(seen.run);
      else if (seen?.kind === 'exited') this.onExit(seen.info);
      else if (this.ctx.now() - since < SHIM_START_TIMEOUT_MS) setTimeout(check, 10).unref();
    };
    check();
  }

  private onRunning(run: RunIdentity): void {
    this.run = 'running';
    this.current = run;
    this.watchRun();
    this.everRunning = true;
    const started = run.container
      ? message('event.containerStarted', {
          replica: this.id,
          container: run.container.slice(0, 12),
          port: this.record.port,
        })
      : message('event.replicaStarted', { replica: this.id, pid: run.pid, port: this.record.port });
    this.ctx.emit({ replica: this.id, type: 'Normal', reason: 'Started', ...said(started) });
    if (this.terminating) {
      this.sendTerm();
      return;
    }
    this.startProbes(0);
    this.ctx.changed();
  }

  private startProbes(ranMs: number): void {
    // A job is not served: it runs (starting) until it completes.
    if (this.record.spec.job) return;
    const target = {
      host: '127.0.0.1',
      port: this.record.port,
      env: this.launch?.env ?? {},
      cwd: this.record.spec.cwd,
      access: this.runner.probes(),
    };
    this.probes.start(this.record.spec, target, ranMs, this.phase === ReplicaPhase.ready, {
      ready: (ok) => this.setReady(ok),
      unhealthy: (_msg, detail) => void this.killForRestart(message('exit.livenessFailed', { detail }), 'SIGTERM'),
    });
  }

  private setReady(ok: boolean): void {
    if (this.terminating || this.run !== 'running') return;
    if (ok && this.phase !== ReplicaPhase.ready) {
      this.phase = ReplicaPhase.ready;
      if (!this.record.everReady) {
        this.record.everReady = true;
        writeReplicaRecord(this.dir, this.record);
      }
      const ready = said(message('event.replicaReady', { replica: this.id }));
      this.ctx.emit({ replica: this.id, type: 'Normal', reason: 'Ready', ...ready });
      this.ctx.changed();
    } else if (!ok) {
      const run = this.run;
      reportUnready({
        replica: this.id,
        ranMs: this.ctx.now() - Date.parse(this.record.startedAt ?? this.record.created),
        periodMs: this.record.spec.readiness?.periodMs ?? 0,
        wasReady: this.phase === ReplicaPhase.ready,
        finding: () => this.probes.readinessFinding(),
        // Only for this run: a restarted one is starting up afresh.
        stillUnready: () => !this.terminating && this.run === run && this.phase !== ReplicaPhase.ready,
        emit: (e) => this.ctx.emit(e),
      });
      if (this.phase === ReplicaPhase.ready) {
        this.phase = ReplicaPhase.unready;
        this.ctx.changed();
      }
    }
  }

  /** Liveness failure or OOM: leave the gateway, then kill; the exit is handled as a crash with `reason`. */
  private async killForRestart(reason: Message, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    if (this.terminating || this.pendingReason || this.run !== 'running') return;
    this.pendingReason = reason;
    this.ctx.emit({
      replica: this.id,
      type: 'Warning',
      reason: signal === 'SIGKILL' ? 'OOMKilling' : 'Unhealthy',
      ...said(reason),
    });
    this.probes.stop();
    const run = this.current;
    if (signal === 'SIGKILL') {
      // The kernel does not wait for an OOM kill either.
      this.runner.kill();
      this.phase = ReplicaPhase.unready;
      this.ctx.changed();
      return;
    }
    this.phase = ReplicaPhase.unready;
    this.ctx.changed();
    this.ctx.emit({
      replica: this.id,
      type: 'Normal',
      reason: 'Killing',
      ...said(message('event.replicaRestarting', { replica: this.id, reason })),
    });
    await this.ctx.withdraw().catch(() => undefined);
    // Only the run that failed: a restarted one is not stopped for it.
    if (this.run === 'running' && this.current === run) this.runner.stop();
  }

  private sendTerm(): void {
    this.runner.stop();
    this.termSent = true;
  }

  /** Whether Berth itself enforces the memory limit of this replica's run (a forked child must be found soon). */
  enforcesMemoryLimit = (): boolean =>
    this.run === 'running' && enforcedLimit(this.runner, this.record.spec.memoryLimitBytes) !== undefined;

  /** Measures a running replica now when its last sample is USAGE_SAMPLE_MS old or it has none (status never shows a running replica without usage). */
  sampleNow(snap: ProcSnapshot): void {
    if (this.pid !== undefined) this.sample(snap);
  }

  private sample(snap: ProcSnapshot): void {
    const overLimit = this.usage.sample(this.runner, snap, this.record.spec.memoryLimitBytes);
    if (overLimit && !this.terminating) void this.killForRestart(message('exit.oomKilled'), 'SIGKILL');
  }

  /** Wakes the replica on its shim's exit.json (exitWatch.ts); containers are polled as before. */
  private watchRun(): void {
    if (this.watcher || this.record.runAs === 'container') return;
    // An exit.json written before the watch began is read by the next tick.
    this.lastPollMs = this.lastFullPollMs = 0;
    const probes = (): void => this.probes.refresh();
    this.watcher = watchExit(this.dir, { exit: () => this.wake(), probes, error: () => this.unwatchRun() });
  }

  /** Its exit.json appeared, or its shim ended: a full poll now. */
  private wake(): void {
    this.lastPollMs = this.lastFullPollMs = 0;
    this.tick(undefined);
  }

  private unwatchRun(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private onExit(info: ExitInfo): void {
    const now = this.ctx.now();
    this.unwatchRun();
    this.probes.stop();
    const exit = recordExit(this.record, info, this.pendingReason, now);
    const why = exit.why;
    this.run = 'down';
    this.current = undefined;
    this.usage.reset();
    this.pendingReason = undefined;
    if (this.terminating) {
      this.phase = ReplicaPhase.exited;
      this.message = undefined;
      writeReplicaRecord(this.dir, this.record);
      for (const w of this.stopWaiters.splice(0)) w();
      this.ctx.changed();
      return;
    }
    const completion = completionOf(this.record, info, why, () => logTailOf(this.runner.logDir, this.ctx.logKeep));
    if (completion) {
      this.record.completion = completion;
      writeReplicaRecord(this.dir, this.record);
      this.phase = ReplicaPhase.exited;
      this.message = completedMessage(this.record);
      const ok = completion.result === 'succeeded';
      this.ctx.emit({
        replica: this.id,
        type: ok ? 'Normal' : 'Warning',
        reason: ok ? 'Completed' : 'BackoffLimitExceeded',
        ...said(message('event.jobEnded', { replica: this.id, result: this.message ?? '' })),
      });
      this.ctx.changed();
      return;
    }
    this.message = scheduleBackOff(this.record, this.restart, { info, ...exit }, this.everRunning, now);
    writeReplicaRecord(this.dir, this.record);
    this.phase = ReplicaPhase.backoff;
    const exited = said(message('event.replicaExited', { replica: this.id, reason: why }));
    this.ctx.emit({ replica: this.id, type: 'Warning', reason: 'Exited', ...exited });
    this.ctx.emit({ replica: this.id, type: 'Warning', reason: 'BackOff', ...said(this.message) });
    this.ctx.changed();
  }
}
