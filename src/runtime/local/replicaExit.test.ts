import { describe, expect, it } from 'vitest';
import { message } from '../../model/messages.js';
import { recordExit, scheduleBackOff } from './replicaExit.js';
import type { ReplicaRecord } from './replicaStore.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function record(): ReplicaRecord {
  return {
    startedAt: new Date(T0).toISOString(),
    restarts: 0,
    backoffStreak: 0,
    created: new Date(T0).toISOString(),
  } as ReplicaRecord;
}

describe('a replica run that ended', () => {
  it('records the exit with its reason and stderr, ended when it says (not when noticed)', () => {
    const rec = record();
    const info = { code: 3, signal: null, at: new Date(T0 + 5000).toISOString(), stderrTail: ['', 'boom'] };
    const exit = recordExit(rec, info, undefined, T0 + 60_000);
    expect(exit.exitAtMs).toBe(T0 + 5000);
    expect(exit.ranForMs).toBe(5000);
    expect(rec.lastExit).toMatchObject({ code: 3, reasonMessage: { code: 'exit.withExcerpt' } });
    expect(rec.lastStderr).toEqual(['boom']);
    const killed = recordExit(rec, { ...info, stderrTail: [] }, message('exit.oomKilled'), T0 + 60_000);
    expect(killed.why.code).toBe('exit.oomKilled');
    expect(rec.lastExit?.reasonMessage).toEqual(message('exit.oomKilled'));
    expect(rec.lastStderr).toBeUndefined();
  });

  it('backs off from the exit, doubling, shown in whole seconds from one second up as kubectl does', () => {
    const policy = { initialBackoffMs: 300, maxBackoffMs: 90_000, resetAfterMs: 600_000 };
    const rec = record();
    const info = { code: 1, signal: null, at: new Date(T0 + 100).toISOString() };
    const shown: string[] = [];
    for (let i = 0; i < 10; i++) {
      const exit = recordExit(rec, info, undefined, T0 + 100);
      const m = scheduleBackOff(rec, policy, { info, ...exit }, true, T0 + 100);
      shown.push(String(m.params.delay));
    }
    expect(shown).toEqual(['300ms', '600ms', '1s', '2s', '5s', '10s', '19s', '38s', '1m17s', '1m30s']);
    expect(rec.restarts).toBe(10);
    expect(rec.backoffUntil).toBe(new Date(T0 + 100 + 90_000).toISOString());
  });
});
