/**
 * When supervision reads /proc for the replicas' usage: at each sampling tick while some replica has a
 * memory limit Berth enforces (it is killed as the kernel's OOM killer would, so it is measured each
 * second), else every USAGE_SAMPLE_MS (what status averages over). Most reads re-read only the
 * replicas' process trees; a full snapshot (every process on the machine) finds the trees again.
 */
import { refreshProcSnapshot, takeProcSnapshot, type ProcSnapshot } from './procfs.js';
import { USAGE_SAMPLE_MS } from './replicaUsage.js';

/**
 * Between full snapshots: a child a replica forks counts in its usage from the next full one. At idle
 * the full reads were most of the supervision's file reads (hundreds of processes against 2 per replica).
 */
const FULL_SNAPSHOT_MS = 30_000;
/** Between full snapshots while some replica has a memory limit Berth enforces: a child it forks counts within this. */
const FULL_SNAPSHOT_LIMITED_MS = 10_000;

/** The /proc reads of one local runtime. */
export class UsageSnapshots {
  private lastMs = Number.NEGATIVE_INFINITY;
  private full: ProcSnapshot | undefined;

  /** The snapshot this sampling tick reads, or undefined when none is due. */
  take(nowMs: number, limited: boolean): ProcSnapshot | undefined {
    if (!limited && nowMs - this.lastMs < USAGE_SAMPLE_MS) return undefined;
    this.lastMs = nowMs;
    const full = this.full;
    if (full && nowMs - full.takenAtMs < (limited ? FULL_SNAPSHOT_LIMITED_MS : FULL_SNAPSHOT_MS))
      return refreshProcSnapshot(full, nowMs);
    return (this.full = takeProcSnapshot(nowMs));
  }
}
