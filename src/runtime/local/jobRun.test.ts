import { describe, expect, it } from 'vitest';
import { message } from '../../model/messages.js';
import { completionMessage, jobFailedError } from './jobRun.js';
import type { JobCompletion } from './replicaStore.js';

const exit3 = message('exit.shortCode', { code: 3 });
const failed: JobCompletion = {
  result: 'failed',
  exitCode: 3,
  reason: exit3.text,
  reasonMessage: exit3,
  endedAt: '2026-03-01T10:00:00.000Z',
  attempts: 2,
  logTail: [],
};

describe("a job run's outcome as coded messages", () => {
  it('a failed run: its exit inside, and a job that wrote nothing says so with a code', () => {
    expect(completionMessage(failed)).toMatchObject({
      code: 'job.failed',
      params: { reason: exit3, attempts: 2 },
      text: 'failed: exit code 3 (2 runs)',
    });
    const err = jobFailedError('migrate', 'migrate-1', failed) as Error & { reasonMessage?: unknown };
    expect(err.message).toBe('migrate: job failed after 2 runs; last exit: exit code 3; log tail: (no output)');
    expect(err.reasonMessage).toMatchObject({
      code: 'release.jobFailed',
      params: { lastExit: exit3, logTail: { code: 'job.noOutput' } },
    });
  });

  it('a run recorded before codes keeps its text', () => {
    const { reasonMessage: _none, ...old } = failed;
    expect(completionMessage({ ...old, result: 'failed', reason: 'exit code 1' }).text).toBe(
      'failed: exit code 1 (2 runs)',
    );
    expect(completionMessage({ ...failed, result: 'succeeded', attempts: 1 }).text).toBe('completed (1 run)');
  });
});
