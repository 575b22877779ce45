/**
 * A replica's health checks while its command runs: the readiness probe (or, without one, a short
 * minimum run time) decides when it is ready, the liveness probe when it must be restarted.
 */
import { message, type Message } from '../../model/messages.js';
import type { Probe } from '../../model/probe.js';
import { ProbeWorker } from './probes.js';
import type { ProbeTarget } from './probes.js';

/** How long a replica without a readiness probe must keep running to count as ready. */
const MIN_READY_MS = 1_000;

/** What the probes report to their replica. */
export interface ProbeReports {
  /** Readiness changed (or, without a readiness probe, the replica ran long enough). */
  ready(ok: boolean, message: string): void;
  /** The liveness probe failed: what its last attempt found. */
  unhealthy(message: string, detail: Message): void;
}

/** The probe workers of one run of a replica. */
export class ReplicaProbes {
  private readinessWorker: ProbeWorker | undefined;
  private liveness: ProbeWorker | undefined;
  private readyTimer: NodeJS.Timeout | undefined;

  /** The running readiness probe, if any. */
  get readiness(): ProbeWorker | undefined {
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
    if (readiness) {
      this.readinessWorker = new ProbeWorker(readiness, target, (ok) => report.ready(ok, ''), { startupPollMs: 25 });
      this.readinessWorker.start(Math.max(0, readiness.initialDelayMs - ranMs));
    } else if (!alreadyReady) {
      // Without a probe, "running" is all there is to know; a command that dies at once must not
      // count as ready (and let a rollout finish) in the instant before it exits.
      this.readyTimer = setTimeout(() => report.ready(true, 'process running'), Math.max(0, MIN_READY_MS - ranMs));
      this.readyTimer.unref();
    }
    if (liveness) {
      this.liveness = new ProbeWorker(liveness, target, (ok, msg, detail) => {
        if (!ok) report.unhealthy(msg, detail);
      });
      this.liveness.start(Math.max(0, liveness.initialDelayMs - ranMs));
    }
  }

  stop(): void {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    this.readinessWorker?.stop();
    this.liveness?.stop();
    this.readinessWorker = undefined;
    this.liveness = undefined;
  }
}
