import { describe, expect, it } from 'vitest';
import { configDrift } from './configDrift.js';
import type { Release } from './releases.js';

/** Releases of one app newest first, as Releases.list gives them (at most `limit`). */
function history(all: Pick<Release, 'revision' | 'status' | 'configVersion' | 'kind' | 'reason'>[]) {
  const sorted = [...all].sort((a, b) => b.revision - a.revision) as Release[];
  return {
    current: async () => sorted.find((r) => r.status === 'succeeded'),
    list: async (_app: string, _env: string, limit = 100) => sorted.slice(0, limit),
  };
}

describe('config drift', () => {
  it('counts every failed try since the release before the running one, however many', async () => {
    // revision 1 ran config 1; 120 deploys of config 2 failed and each rolled back (auto-rollback, config 1).
    const releases: Pick<Release, 'revision' | 'status' | 'configVersion' | 'kind' | 'reason'>[] = [
      { revision: 1, status: 'succeeded', configVersion: 1, kind: 'deploy', reason: null },
    ];
    for (let i = 0; i < 120; i++)
      releases.push({ revision: 2 + i, status: 'failed', configVersion: 2, kind: 'deploy', reason: 'boom' });
    releases.push({ revision: 122, status: 'succeeded', configVersion: 1, kind: 'auto-rollback', reason: null });
    const drift = await configDrift(
      {
        releases: history(releases),
        configSets: {
          current: async () => ({ version: 2 }) as never,
          diff: async () => [{ kind: 'value', key: 'VERSION' }] as never,
        },
      },
      'shop',
      'local',
    );
    expect(drift?.runningRevision).toBe(122);
    expect(drift?.failed).toHaveLength(120);
    expect(drift?.failed.at(-1)).toMatchObject({ revision: 2, configVersion: 2 });
  });
});
