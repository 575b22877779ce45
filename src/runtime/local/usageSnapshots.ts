/**
 * When supervision reads /proc for the replicas' usage: at each sampling tick while some replica has a
 * memory limit Berth enforces (it is killed as the kernel's OOM killer would, so it is measured each
 * second), else when the replicas are observed (status, the metric history every 10 s, autoscaling), at
 * most every USAGE_SAMPLE_MS per replica: nothing is read while nobody looks. Most reads re-read only the
 * replicas' process trees; a full snapshot (every process on the machine) finds the trees again.
 */
import {
  PROC_CHILDREN,
  ProcChildren,
  lazyProcSnapshot,
  refreshProcSnapshot,
  takeProcSnapshot,
  type ProcSnapshot,
} from './procfs.js';
import { USAGE_SAMPLE_MS } from './replicaUsage.js';

/**
 * Between full snapshots (or reads of the replicas' trees): a child a replica forks counts in its usage
 * from the next one. At idle the full reads were most of the supervision's file reads (every process
 * on the machine against 2 per replica), so the trees are read from the kernel's children lists when
 * it has them (procfs.ts lazyProcSnapshot): a read per process in a replica's tree.
 */
const FULL_SNAPSHOT_MS = 30_000;
/** Between full snapshots while some replica has a memory limit Berth enforces: a child it forks counts within this. */
const FULL_SNAPSHOT_LIMITED_MS = 10_000;

/** The /proc reads of one local runtime. */
export class UsageSnapshots {
  private lastMs = Number.NEGATIVE_INFINITY;
  private full: ProcSnapshot | undefined;
  /** With the kernel's children lists: the replicas' trees as last read, and when. */
  private trees: { children: ProcChildren; atMs: number } | undefined;
  private readonly byChildren: boolean;

  /** `byChildren`: find trees through /proc/<pid>/task/<pid>/children (default: when the kernel has them). */
  constructor(byChildren = PROC_CHILDREN) {
    this.byChildren = byChildren;
  }

  /** The snapshot this sampling tick reads, or undefined when none is due. */
  take(nowMs: number, limited: boolean): ProcSnapshot | undefined {
    if (!limited && nowMs - this.lastMs < USAGE_SAMPLE_MS) return undefined;
    this.lastMs = nowMs;
    return this.read(nowMs, limited);
  }

  /** A snapshot to sample from now, whatever the cadence (the replicas' own samples keep theirs). */
  read(nowMs: number, limited = false): ProcSnapshot {
    const treesMs = limited ? FULL_SNAPSHOT_LIMITED_MS : FULL_SNAPSHOT_MS;
    if (this.byChildren) {
      if (!this.trees || nowMs - this.trees.atMs >= treesMs) this.trees = { children: new ProcChildren(), atMs: nowMs };
      return lazyProcSnapshot(nowMs, this.trees.children);
    }
    const full = this.full;
    if (full && nowMs - full.takenAtMs < (limited ? FULL_SNAPSHOT_LIMITED_MS : FULL_SNAPSHOT_MS))
      return refreshProcSnapshot(full, nowMs);
    return (this.full = takeProcSnapshot(nowMs));
  }
}
