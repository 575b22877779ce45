/**
 * Where a build's Job stands, from the Job's conditions and its pod's container state: still running,
 * succeeded (the pushed image's digest, which kaniko wrote as the pod's termination message), failed
 * (kaniko's exit, or the Job's deadline), or stuck before kaniko could start (its image cannot be
 * pulled, its Secret is missing), which no waiting mends.
 */
import { KANIKO_CONTAINER } from './kanikoJob.js';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The fields of a build's Job the outcome reads. */
export interface BuildJob {
  metadata: { name: string; uid?: string; resourceVersion?: string };
  spec?: { activeDeadlineSeconds?: number };
  status?: { conditions?: Condition[]; succeeded?: number; failed?: number; active?: number };
}

interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode: number; reason?: string; message?: string };
}

/** The fields of a build's pod the outcome reads. */
export interface BuildPod {
  metadata: { name: string; uid?: string; resourceVersion?: string; ownerReferences?: { uid: string }[] };
  status?: { phase?: string; containerStatuses?: { name: string; state?: ContainerState }[] };
}

export type Outcome =
  /** `pending`: the Job failed, its pod's exit not seen yet (the pod's watch may lag the Job's). */
  | { kind: 'running'; pending?: boolean }
  | { kind: 'succeeded'; digest: string }
  | { kind: 'failed'; why: string }
  | { kind: 'stuck'; why: string };

/** A manifest digest as kaniko writes it. */
export const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Waiting reasons after which the kaniko container will not start by itself. */
const STUCK = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

const isTrue = (job: BuildJob, type: string): Condition | undefined =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

const kaniko = (p: BuildPod): ContainerState | undefined =>
  p.status?.containerStatuses?.find((c) => c.name === KANIKO_CONTAINER)?.state;

/** How a terminated container ended, in words. */
function exitText(t: NonNullable<ContainerState['terminated']>): string {
  const message = t.message?.trim();
  return `kaniko exited with code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}${message ? `: ${message}` : ''}`;
}

/**
 * The build's outcome. `pods` are the Job's own pods; `podsListed` says they were listed at least
 * once (a complete Job without any pod then has no digest to give); unless `final`, a failed Job
 * whose pod's exit is not known yet is still `pending`.
 */
export function outcomeOf(
  job: BuildJob,
  pods: BuildPod[],
  name: string,
  o: { podsListed?: boolean; final?: boolean } = {},
): Outcome {
  const { podsListed = true, final = true } = o;
  const failed = isTrue(job, 'Failed');
  if (failed) {
    if (failed.reason === 'DeadlineExceeded')
      return {
        kind: 'failed',
        why: `it ran longer than its deadline (activeDeadlineSeconds ${job.spec?.activeDeadlineSeconds ?? '?'}) and Kubernetes stopped Job ${name}`,
      };
    const ended = pods.map(kaniko).find((s) => s?.terminated && s.terminated.exitCode !== 0)?.terminated;
    if (!ended && !final && pods.length > 0) return { kind: 'running', pending: true };
    const detail = ended ? exitText(ended) : `${failed.reason ?? 'Failed'}: ${failed.message ?? 'the Job failed'}`;
    return { kind: 'failed', why: `${detail} (Job ${name})` };
  }
  if (isTrue(job, 'Complete') || (job.status?.succeeded ?? 0) > 0) {
    const done = pods.map(kaniko).find((s) => s?.terminated?.exitCode === 0)?.terminated;
    if (!done) {
      if (podsListed && pods.length === 0)
        return { kind: 'failed', why: `Job ${name} succeeded but its pod is gone: the image's digest cannot be read` };
      return { kind: 'running' }; // the pod's final state is on its way
    }
    const digest = done.message?.trim() ?? '';
    if (!DIGEST.test(digest))
      return {
        kind: 'failed',
        why: `Job ${name} succeeded but its termination message is not an image digest (sha256: and 64 hex digits): ${JSON.stringify(digest.slice(0, 200))}`,
      };
    return { kind: 'succeeded', digest };
  }
  for (const p of pods) {
    const waiting = kaniko(p)?.waiting;
    if (waiting?.reason && STUCK.has(waiting.reason))
      return {
        kind: 'stuck',
        why: `its pod ${p.metadata.name} cannot start kaniko: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''} (Job ${name} was deleted)`,
      };
  }
  return { kind: 'running' };
}
