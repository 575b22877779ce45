/**
 * Whether a workload's rollout is finished, still going, or failed, read from its status the way
 * `kubectl rollout status` reads it. Pure: the object in, a verdict out. Each line is a message
 * code with params (`workload.*`), so the console says it in its language.
 */
import { message, type Message, type MessageParams, type ReasonCode } from '../../model/messages.js';

/** The verdict on one workload. */
export interface RolloutProgress {
  done: boolean;
  /** Why the rollout failed (it will not finish on its own). */
  failed?: string;
  /** `failed` as a code with params. */
  failedDetail?: Message;
  /** Where the rollout stands, for progress events. */
  message: string;
  /** `message` as a code with params. */
  detail: Message;
}

/** A verdict whose line is `code` with `params`. */
function at(done: boolean, code: ReasonCode, params: MessageParams = {}): RolloutProgress {
  const detail = message(code, params);
  return { done, message: detail.text, detail };
}

/** A failed rollout: where it stands and why it failed. */
function failedAt(now: Message, why: Message): RolloutProgress {
  return { done: false, failed: why.text, failedDetail: why, message: now.text, detail: now };
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
    return at(false, 'workload.waitingGeneration', { workload: name, generation });
  const cond = (type: string): Condition | undefined => st.conditions?.find((c) => c.type === type);
  switch (o.kind) {
    case 'Deployment': {
      const progressing = cond('Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded')
        return failedAt(
          message('workload.deadlineExceeded'),
          message('workload.deadlineExceededBecause', {
            message: progressing.message ?? message('workload.noProgress'),
          }),
        );
      const desired = o.spec?.replicas ?? 1;
      const updated = n(st.updatedReplicas);
      const total = n(st.replicas);
      const available = n(st.availableReplicas);
      const ready = n(st.readyReplicas);
      if (updated < desired) return at(false, 'workload.replicasUpdated', { updated, desired, ready });
      if (total > updated) return at(false, 'workload.oldReplicasPending', { count: total - updated });
      if (available < updated || ready < desired)
        return at(false, 'workload.replicasAvailable', { available, updated, ready });
      return at(true, 'workload.deploymentDone', { ready, desired });
    }
    case 'StatefulSet': {
      if (o.spec?.updateStrategy?.type === 'OnDelete') return at(true, 'workload.onDelete');
      const desired = o.spec?.replicas ?? 1;
      const ready = n(st.readyReplicas);
      const partition = o.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
      if (ready < desired) return at(false, 'workload.replicasReady', { ready, desired });
      if (partition > 0) {
        const updated = n(st.updatedReplicas);
        return updated >= desired - partition
          ? at(true, 'workload.partitionDone', { updated })
          : at(false, 'workload.partitionUpdating', { updated, wanted: desired - partition, partition });
      }
      if (st.updateRevision !== st.currentRevision)
        return at(false, 'workload.atRevision', {
          updated: n(st.updatedReplicas),
          desired,
          revision: String(st.updateRevision),
        });
      return at(true, 'workload.replicasReady', { ready, desired });
    }
    case 'DaemonSet': {
      const desired = n(st.desiredNumberScheduled);
      const updated = n(st.updatedNumberScheduled);
      const available = n(st.numberAvailable);
      if (updated < desired) return at(false, 'workload.podsScheduled', { updated, desired });
      if (available < desired) return at(false, 'workload.podsAvailable', { available, desired });
      return at(true, 'workload.daemonSetDone', { available, desired });
    }
    case 'Job': {
      const failed = cond('Failed');
      if (failed?.status === 'True')
        return failedAt(
          message('workload.failed'),
          message('workload.jobFailed', { message: failed.message ?? failed.reason ?? '' }),
        );
      const completions = o.spec?.completions ?? 1;
      const succeeded = n(st.succeeded);
      if (cond('Complete')?.status === 'True' || succeeded >= completions)
        return at(true, 'workload.completions', { succeeded, completions });
      return at(false, 'workload.completionsActive', { succeeded, completions, active: n(st.active) });
    }
    default:
      return at(true, 'workload.applied');
  }
}
