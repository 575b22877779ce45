import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { replicaOf } from './status.js';

const pod = (terminated: { exitCode: number; reason?: string }): V1Pod => ({
  metadata: { name: 'web-1', annotations: {} },
  status: {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'web',
        image: 'web',
        imageID: '',
        ready: true,
        restartCount: 1,
        lastState: { terminated: { ...terminated, finishedAt: new Date('2026-03-01T10:00:00Z') } },
      },
    ],
  },
});

describe('a pod as a replica', () => {
  it("keeps the cluster's own exit reason as it says it, and gives Berth's own words a code", () => {
    expect(replicaOf(pod({ exitCode: 137, reason: 'OOMKilled' })).lastExit).toEqual({
      at: '2026-03-01T10:00:00.000Z',
      code: 137,
      signal: null,
      reason: 'OOMKilled',
    });
    expect(replicaOf(pod({ exitCode: 3 })).lastExit).toMatchObject({
      reason: 'exited with code 3',
      reasonMessage: { code: 'crash.exitCode', params: { code: 3 }, text: 'exited with code 3' },
    });
  });
});
