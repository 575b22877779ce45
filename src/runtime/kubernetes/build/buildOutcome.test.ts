/** A build's outcome from its Job and pod, whichever of their watches speaks first. */
import { describe, expect, it } from 'vitest';
import { outcomeOf, type BuildJob, type BuildPod } from './buildOutcome.js';

const failedJob: BuildJob = {
  metadata: { name: 'api-build-1' },
  status: {
    failed: 1,
    conditions: [
      {
        type: 'Failed',
        status: 'True',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      },
    ],
  },
};
const pod = (state: NonNullable<NonNullable<BuildPod['status']>['containerStatuses']>[number]['state']): BuildPod => ({
  metadata: { name: 'api-build-1-abc' },
  status: { containerStatuses: [{ name: 'kaniko', state }] },
});

describe('the outcome of a build', () => {
  it("waits for a failed Job's pod to show its exit, then names it; after the grace, the Job's reason", () => {
    const running = pod({ running: { startedAt: '2026-01-01T00:00:00Z' } });
    expect(outcomeOf(failedJob, [running], 'api-build-1', { final: false })).toEqual({
      kind: 'running',
      pending: true,
    });
    expect(outcomeOf(failedJob, [running], 'api-build-1', { final: true })).toEqual({
      kind: 'failed',
      why: 'BackoffLimitExceeded: Job has reached the specified backoff limit (Job api-build-1)',
    });
    const exited = pod({ terminated: { exitCode: 1, reason: 'Error', message: 'no space left on device\n' } });
    expect(outcomeOf(failedJob, [exited], 'api-build-1', { final: false })).toEqual({
      kind: 'failed',
      why: 'kaniko exited with code 1 (Error): no space left on device (Job api-build-1)',
    });
  });

  it('waits for a complete Job’s pod to show the digest, and fails when the pod is gone', () => {
    const complete: BuildJob = {
      metadata: { name: 'j' },
      status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
    };
    expect(outcomeOf(complete, [pod({ running: {} })], 'j')).toEqual({ kind: 'running' });
    expect(outcomeOf(complete, [], 'j', { podsListed: false })).toEqual({ kind: 'running' });
    expect(outcomeOf(complete, [], 'j')).toMatchObject({ kind: 'failed', why: expect.stringMatching(/pod is gone/) });
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(outcomeOf(complete, [pod({ terminated: { exitCode: 0, message: `${digest}\n` } })], 'j')).toEqual({
      kind: 'succeeded',
      digest,
    });
  });
});
