import { describe, expect, it } from 'vitest';
import { rolloutProgress } from './rolloutStatus.js';

const meta = (generation: number) => ({ name: 'web', generation });

describe('rolloutProgress', () => {
  it('waits for the controller to observe the new generation', () => {
    expect(
      rolloutProgress({
        kind: 'Deployment',
        metadata: meta(3),
        spec: { replicas: 1 },
        status: { observedGeneration: 2, updatedReplicas: 1, replicas: 1, readyReplicas: 1, availableReplicas: 1 },
      }),
    ).toMatchObject({ done: false });
  });

  it('reads a Deployment like kubectl rollout status', () => {
    const d = (status: Record<string, unknown>) =>
      rolloutProgress({
        kind: 'Deployment',
        metadata: meta(1),
        spec: { replicas: 2 },
        status: { observedGeneration: 1, ...status },
      });
    expect(d({ updatedReplicas: 1, replicas: 3, readyReplicas: 2 }).message).toBe(
      '1 of 2 new replicas updated, 2 ready',
    );
    expect(d({ updatedReplicas: 2, replicas: 3, readyReplicas: 2, availableReplicas: 2 }).message).toBe(
      '1 old replicas pending termination',
    );
    expect(d({ updatedReplicas: 2, replicas: 2, readyReplicas: 1, availableReplicas: 1 }).done).toBe(false);
    expect(d({ updatedReplicas: 2, replicas: 2, readyReplicas: 2, availableReplicas: 2 }).done).toBe(true);
    const failed = d({
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "web-1" has timed out progressing.',
        },
      ],
    });
    expect(failed.failed).toBe('progress deadline exceeded: ReplicaSet "web-1" has timed out progressing.');
    expect(
      rolloutProgress({
        kind: 'Deployment',
        metadata: meta(1),
        spec: { replicas: 0 },
        status: { observedGeneration: 1 },
      }).done,
    ).toBe(true);
  });

  it('reads StatefulSets, DaemonSets and Jobs', () => {
    const sts = (status: Record<string, unknown>, partition?: number) =>
      rolloutProgress({
        kind: 'StatefulSet',
        metadata: meta(1),
        spec: {
          replicas: 2,
          ...(partition ? { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } } : {}),
        },
        status: { observedGeneration: 1, ...status },
      });
    expect(sts({ readyReplicas: 2, currentRevision: 'a', updateRevision: 'b', updatedReplicas: 1 }).done).toBe(false);
    expect(sts({ readyReplicas: 2, currentRevision: 'b', updateRevision: 'b' }).done).toBe(true);
    expect(sts({ readyReplicas: 2, currentRevision: 'a', updateRevision: 'b', updatedReplicas: 1 }, 1).done).toBe(true);
    const ds = (status: Record<string, unknown>) =>
      rolloutProgress({
        kind: 'DaemonSet',
        metadata: meta(1),
        status: { observedGeneration: 1, desiredNumberScheduled: 3, ...status },
      });
    expect(ds({ updatedNumberScheduled: 3, numberAvailable: 2 }).done).toBe(false);
    expect(ds({ updatedNumberScheduled: 3, numberAvailable: 3 }).done).toBe(true);
    expect(rolloutProgress({ kind: 'Job', metadata: meta(1), status: { succeeded: 1 } }).done).toBe(true);
    expect(
      rolloutProgress({
        kind: 'Job',
        metadata: meta(1),
        status: { conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }] },
      }).failed,
    ).toBe('job failed: BackoffLimitExceeded');
  });
});

describe('rolloutProgress as coded messages', () => {
  it('each line is a code with its params, its text the line the CLI prints', () => {
    const p = rolloutProgress({
      kind: 'Deployment',
      metadata: meta(1),
      spec: { replicas: 2 },
      status: { observedGeneration: 1, updatedReplicas: 1, replicas: 3, readyReplicas: 2 },
    });
    expect(p.detail).toEqual({
      code: 'workload.replicasUpdated',
      params: { updated: 1, desired: 2, ready: 2 },
      text: '1 of 2 new replicas updated, 2 ready',
    });
    expect(p.message).toBe(p.detail.text);
    const waiting = rolloutProgress({ kind: 'StatefulSet', metadata: meta(4), status: { observedGeneration: 3 } });
    expect(waiting.detail).toMatchObject({
      code: 'workload.waitingGeneration',
      params: { workload: 'StatefulSet web', generation: 4 },
      text: 'waiting for StatefulSet web generation 4 to be observed',
    });
  });

  it("a failure says why with a code; the controller's own message stays as it is inside it", () => {
    const deadline = rolloutProgress({
      kind: 'Deployment',
      metadata: meta(1),
      spec: { replicas: 1 },
      status: {
        observedGeneration: 1,
        conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded', message: 'RS "web-1" timed out.' }],
      },
    });
    expect(deadline.failedDetail).toEqual({
      code: 'workload.deadlineExceededBecause',
      params: { message: 'RS "web-1" timed out.' },
      text: 'progress deadline exceeded: RS "web-1" timed out.',
    });
    expect(deadline.failed).toBe(deadline.failedDetail?.text);
    expect(deadline.detail.code).toBe('workload.deadlineExceeded');
    const silent = rolloutProgress({
      kind: 'Deployment',
      metadata: meta(1),
      status: { observedGeneration: 1, conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] },
    });
    expect(silent.failedDetail).toMatchObject({
      params: { message: { code: 'workload.noProgress' } },
      text: 'progress deadline exceeded: the rollout made no progress',
    });
    const job = rolloutProgress({
      kind: 'Job',
      metadata: meta(1),
      status: { conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }] },
    });
    expect(job.failedDetail).toMatchObject({ code: 'workload.jobFailed', params: { message: 'BackoffLimitExceeded' } });
    const running = rolloutProgress({
      kind: 'Job',
      metadata: meta(1),
      spec: { completions: 2 },
      status: { active: 1 },
    });
    expect(running.detail).toMatchObject({
      code: 'workload.completionsActive',
      params: { succeeded: 0, completions: 2, active: 1 },
      text: '0 of 2 completions, 1 active',
    });
  });
});
