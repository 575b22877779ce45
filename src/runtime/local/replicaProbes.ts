/**
 * A replica's health checks while its command runs: the readiness probe (or, without one, a short
 * minimum run time) decides when it is ready, the liveness probe when it must be restarted. Each
 * probe runs in the control plane (ProbeWorker) or, when the run's shim runs it, is read from the
 * shim's probes.json (ShimProbe) whenever the replica's watch sees that file change.
 */
import { message, type Message } from '../../model/messages.js';
import type { Probe } from '../../model/probe.js';
import { ProbeWorker } from './probes.js';
import type { ProbeTarget } from './probes.js';
import { ShimProbe, runsInShim } from './shimProbes.js';

/** How long a replica without a readiness probe must keep running to count as ready. */
const MIN_READY_MS = 1_000;

/** What the probes report to their replica. */
export interface ProbeReports {
  /** Readiness changed (or, without a readiness probe, the replica ran long enough). */
  ready(ok: boolean, message: string): void;
  /** The liveness probe failed: what its last attempt found. */
  unhealthy(message: string, detail: Message): void;
}

/** What a probe last found, wherever it runs. */
export interface ProbeFinding {
  lastMessage: string;
  lastDetail: Message | undefined;
}

type Worker = ProbeWorker | ShimProbe;

/** The probe workers of one run of a replica. */
export class ReplicaProbes {
  private readinessWorker: Worker | undefined;
  private liveness: Worker | undefined;
  private readyTimer: NodeJS.Timeout | undefined;
  private target: ProbeTarget | undefined;

  /** The running readiness probe, if any. */
  get readiness(): ProbeFinding | undefined {
    return this.readinessWorker;
  }

  /** What the readiness probe's last attempt found (`unknown` before its first). */
  readinessFinding(): Message {
    return this.readinessWorker?.lastDetail ?? message('probe.unknown');
  }

  /** Starts the probes of a run that has been going for `ranMs` (more than 0 for an adopted one). */
  start(
    spec: { readiness?: Probe | undefined; liveness?: Probe | undefined },
    target: ProbeTarget,
    ranMs: number,
    alreadyReady: boolean,
    report: ProbeReports,
  ): void {
    const { readiness, liveness } = spec;
    const inShim = (p: Probe | undefined): boolean => target.access?.shimProbes !== undefined && runsInShim(p);
    this.target = target;
    if (readiness) {
      const onChange = (ok: boolean): void => report.ready(ok, '');
      if (inShim(readiness)) this.readinessWorker = new ShimProbe('readiness', onChange);
      else {
        const w = new ProbeWorker(readiness, target, onChange, { startupPollMs: 25 });
        w.start(Math.max(0, readiness.initialDelayMs - ranMs));
        this.readinessWorker = w;
      }
    } else if (!alreadyReady) {
      // Without a probe, "running" is all there is to know; a command that dies at once must not
      // count as ready (and let a rollout finish) in the instant before it exits.
      this.readyTimer = setTimeout(() => report.ready(true, 'process running'), Math.max(0, MIN_READY_MS - ranMs));
      this.readyTimer.unref();
    }
    if (liveness) {
      const onChange = (ok: boolean, msg: string, detail: Message): void => {
        if (!ok) report.unhealthy(msg, detail);
      };
      if (inShim(liveness)) this.liveness = new ShimProbe('liveness', onChange);
      else {
        const w = new ProbeWorker(liveness, target, onChange);
        w.start(Math.max(0, liveness.initialDelayMs - ranMs));
        this.liveness = w;
      }
    }
    if (this.readinessWorker instanceof ShimProbe || this.liveness instanceof ShimProbe) {
      const file = target.access?.shimProbes?.();
      for (const w of [this.readinessWorker, this.liveness]) if (w instanceof ShimProbe) w.begin(file);
    }
  }

  /** Reads the shim's probes.json again (it changed, or the run is not watched); nothing when the control plane probes. */
  refresh(): void {
    const shimProbes = [this.readinessWorker, this.liveness].filter((w) => w instanceof ShimProbe);
    if (shimProbes.length === 0) return;
    const file = this.target?.access?.shimProbes?.();
    if (file) for (const w of shimProbes) w.update(file);
  }

  stop(): void {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    for (const w of [this.readinessWorker, this.liveness]) if (w instanceof ProbeWorker) w.stop();
    this.readinessWorker = undefined;
    this.liveness = undefined;
    this.target = undefined;
  }
}
