/**
 * A stateful service's reconcile step, as Kubernetes' StatefulSet controller takes it with
 * `podManagementPolicy: OrderedReady` and `updateStrategy: RollingUpdate` (partition 0): one replica
 * changes at a time; index i starts only once 0..i-1 are ready; surplus indexes stop from the highest
 * down; an update replaces replicas from the highest index down, each keeping its index, the next
 * only once the replaced one is ready again. Unlike Kubernetes, a replica of another version that is
 * not ready is replaced at once rather than waited for, so a rollback can move past a broken update.
 */

/** What the step needs to know of one replica. */
export interface IndexedReplica {
  id: string;
  /** `index` is absent in records written before replicas had indexes: such a replica is surplus. */
  record: { index?: number };
  hash: string;
  /** Ready and routed to. */
  serving: boolean;
  terminating: boolean;
}

/** Start the replica with this index, stop this one, or wait for the one changing now. */
export type StatefulStep =
  { kind: 'start'; index: number } | { kind: 'stop'; id: string } | { kind: 'wait' } | { kind: 'done' };

/** The next step toward `desired` replicas of `hash`; `pending` counts replicas being created. */
export function planStateful(
  desired: number,
  hash: string,
  replicas: readonly IndexedReplica[],
  pending: number,
): StatefulStep {
  if (pending > 0 || replicas.some((r) => r.terminating)) return { kind: 'wait' };
  const byIndex = new Map<number, IndexedReplica>();
  const surplus: IndexedReplica[] = [];
  // Highest index first; of two with one index, the one to keep (the version wanted, ready) first.
  const keep = (r: IndexedReplica): number => Number(r.hash === hash) * 2 + Number(r.serving);
  const ordered = [...replicas].sort((a, b) => (b.record.index ?? -1) - (a.record.index ?? -1) || keep(b) - keep(a));
  for (const r of ordered) {
    const i = r.record.index;
    if (i === undefined || i < 0 || i >= desired || byIndex.has(i)) surplus.push(r);
    else byIndex.set(i, r);
  }
  // Scale-down (and strays) first, highest index first: `ordered` is sorted that way.
  const [first] = surplus;
  if (first) return { kind: 'stop', id: first.id };
  for (let i = 0; i < desired; i++) {
    const r = byIndex.get(i);
    if (!r) return { kind: 'start', index: i };
    if (!r.serving && r.hash !== hash) return { kind: 'stop', id: r.id };
    if (!r.serving) return { kind: 'wait' };
  }
  for (let i = desired - 1; i >= 0; i--) {
    const r = byIndex.get(i)!;
    if (r.hash !== hash) return { kind: 'stop', id: r.id };
  }
  return { kind: 'done' };
}

/** The lowest slots not in `used`: where the next `count` replicas of a plain service's version go. */
export function freeSlots(used: Iterable<number | undefined>, count: number): number[] {
  const taken = new Set(used);
  const out: number[] = [];
  for (let i = 0; out.length < count; i++) if (!taken.has(i)) out.push(i);
  return out;
}
