/**
 * Whether a workload's rollout is finished, still going, or failed, read from its status the way
 * `kubectl rollout status` reads it. Pure: the object in, a verdict out.
 */

/** The verdict on one workload. */
export interface RolloutProgress {
  done: boolean;
  /** Why the rollout failed (it will not finish on its own). */
  failed?: string;
  /** Where the rollout stands, for progress events. */
  message: string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

interface Workload {
  kind: string;
  metadata: { name: string; generation?: number };
  spec?: {
    replicas?: number;
    completions?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  status?: Record<string, unknown> & { conditions?: Condition[] };
}

const n = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Reads a workload's rollout state from its status (zero-valued status fields may be absent). */
export function rolloutProgress(o: Workload): RolloutProgress {
  const st = o.status ?? {};
  const generation = o.metadata.generation ?? 0;
  const name = `${o.kind} ${o.metadata.name}`;
  if (o.kind !== 'Job' && n(st.observedGeneration) < generation)
    return { done: false, message: `waiting for ${name} generation ${generation} to be observed` };
  const cond = (type: string): Condition | undefined => st.conditions?.find((c) => c.type === type);
  switch (o.kind) {
    case 'Deployment': {
      const progressing = cond('Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded')
        return {
          done: false,
          failed: `progress deadline exceeded: ${progressing.message ?? 'the rollout made no progress'}`,
          message: 'progress deadline exceeded',
        };
      const desired = o.spec?.replicas ?? 1;
      const updated = n(st.updatedReplicas);
      const total = n(st.replicas);
      const available = n(st.availableReplicas);
      const ready = n(st.readyReplicas);
      if (updated < desired)
        return { done: false, message: `${updated} of ${desired} new replicas updated, ${ready} ready` };
      if (total > updated) return { done: false, message: `${total - updated} old replicas pending termination` };
      if (available < updated || ready < desired)
        return { done: false, message: `${available} of ${updated} updated replicas available, ${ready} ready` };
      return { done: true, message: `${ready} of ${desired} replicas ready and available` };
    }
    case 'StatefulSet': {
      if (o.spec?.updateStrategy?.type === 'OnDelete')
        return { done: true, message: 'OnDelete update strategy: pods are replaced when deleted' };
      const desired = o.spec?.replicas ?? 1;
      const ready = n(st.readyReplicas);
      const partition = o.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
      if (ready < desired) return { done: false, message: `${ready} of ${desired} replicas ready` };
      if (partition > 0) {
        const updated = n(st.updatedReplicas);
        return updated >= desired - partition
          ? { done: true, message: `partitioned rollout: ${updated} replicas updated` }
          : { done: false, message: `${updated} of ${desired - partition} replicas updated (partition ${partition})` };
      }
      if (st.updateRevision !== st.currentRevision)
        return {
          done: false,
          message: `${n(st.updatedReplicas)} of ${desired} replicas at revision ${String(st.updateRevision)}`,
        };
      return { done: true, message: `${ready} of ${desired} replicas ready` };
    }
    case 'DaemonSet': {
      const desired = n(st.desiredNumberScheduled);
      const updated = n(st.updatedNumberScheduled);
      const available = n(st.numberAvailable);
      if (updated < desired) return { done: false, message: `${updated} of ${desired} updated pods scheduled` };
      if (available < desired) return { done: false, message: `${available} of ${desired} updated pods available` };
      return { done: true, message: `${available} of ${desired} pods available` };
    }
    case 'Job': {
      const failed = cond('Failed');
      if (failed?.status === 'True')
        return { done: false, failed: `job failed: ${failed.message ?? failed.reason ?? ''}`, message: 'failed' };
      const completions = o.spec?.completions ?? 1;
      const succeeded = n(st.succeeded);
      if (cond('Complete')?.status === 'True' || succeeded >= completions)
        return { done: true, message: `${succeeded} of ${completions} completions` };
      return { done: false, message: `${succeeded} of ${completions} completions, ${n(st.active)} active` };
    }
    default:
      return { done: true, message: 'applied' };
  }
}
