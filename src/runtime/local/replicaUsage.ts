/**
 * A replica's resource usage between polls: CPU percent from two samples of its CPU ticks, memory
 * as its resident set, and whether that set is over the memory limit Berth enforces itself (a
 * runner whose engine limits memory, such as a container's, enforces it there instead).
 */
import { cpuPercent } from './procfs.js';
import type { ProcSnapshot } from './procfs.js';
import type { Runner } from './runner.js';

/**
 * The least time between usage samples of a run without a memory limit Berth enforces: it is sampled
 * when observed (status, the metric history every 10 s), and CPU is averaged since its previous sample,
 * this long at least; one with such a limit is sampled at every sampling tick (each second).
 */
export const USAGE_SAMPLE_MS = 5_000;

/** The memory limit Berth enforces on a run itself: none when the run's engine limits memory. */
export function enforcedLimit(runner: Runner, memoryLimitBytes: number | undefined): number | undefined {
  return runner.limitsMemory ? undefined : memoryLimitBytes;
}

/** The last sample of one run; cleared when the run ends or a new one starts. */
export class UsageMeter {
  private last: { cpuPercent: number; memoryBytes: number; ticks: number; atMs: number } | undefined;

  /** The last figures, as status shows them. */
  get current(): { cpuPercent: number; memoryBytes: number } | undefined {
    return this.last && { cpuPercent: this.last.cpuPercent, memoryBytes: this.last.memoryBytes };
  }

  /** Forgets the run's samples. */
  reset(): void {
    this.last = undefined;
  }

  /**
   * Samples the run; true when its memory is over `memoryLimitBytes` and no engine enforces the
   * limit (the replica is then killed as the kernel's OOM killer would).
   */
  sample(runner: Runner, snap: ProcSnapshot, memoryLimitBytes: number | undefined): boolean {
    const limit = enforcedLimit(runner, memoryLimitBytes);
    if (limit === undefined && this.last && snap.takenAtMs - this.last.atMs < USAGE_SAMPLE_MS) return false;
    const use = runner.usage(snap);
    if (!use) return false;
    const cpu = this.last ? cpuPercent(this.last.ticks, this.last.atMs, use.cpuTicks, snap.takenAtMs) : 0;
    this.last = {
      cpuPercent: Math.round(cpu * 10) / 10,
      memoryBytes: use.rssBytes,
      ticks: use.cpuTicks,
      atMs: snap.takenAtMs,
    };
    return limit !== undefined && use.rssBytes > limit;
  }
}
