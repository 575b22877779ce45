import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../runtime.js';
import type { LogLine, LogSelector } from '../../model/observation.js';
import { archiveReplicaLogs, pruneArchives, serviceArchiveDir } from './logArchive.js';
import { LogWriter } from './logFiles.js';
import type { ReplicaRecord } from './replicaStore.js';
import { fixtureState, replicaRecord, tempHome, useLocalRuntime, waitFor } from './testdata/testing.js';

const noSignal = { signal: new AbortController().signal, onEvent: () => undefined };

async function read(rt: Runtime, sel: Partial<LogSelector> = {}): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of rt.logs({ app: 'shop', env: 'dev', service: 'orders', ...sel }, { follow: false })) out.push(l);
  return out;
}

const archives = (home: string): string[] => readdirSync(serviceArchiveDir(home, 'shop', 'dev', 'orders')).sort();

describe('logs of ended replica runs (--previous)', () => {
  const fx = useLocalRuntime({ pollIntervalMs: 50, edgePort: 0, logRetention: { maxCount: 3 } });

  it('keeps the logs of the replicas a deploy replaced, and --previous reads them', async () => {
    const rt = fx.start();
    await rt.converge(fixtureState({ replicas: 2, fixtureEnv: { FIXTURE_PRINT_LINES: '3' } }), noSignal);
    const first = new Set((await read(rt)).map((l) => l.replica));
    expect(first.size).toBe(2);
    expect(await read(rt, { previous: true })).toEqual([]);

    await rt.converge(
      fixtureState({ replicas: 2, hash: 'bbbbbbb2', revision: 2, fixtureEnv: { FIXTURE_PRINT_LINES: '1' } }),
      noSignal,
    );
    const current = await read(rt);
    const previous = await read(rt, { previous: true });
    // The running replicas are the new ones; the replaced ones' lines are all still there.
    expect(current.length).toBeGreaterThan(0);
    expect(current.every((l) => !first.has(l.replica))).toBe(true);
    expect(new Set(previous.map((l) => l.replica))).toEqual(first);
    expect(previous.filter((l) => l.line === 'out 2' && l.stream === 'stdout')).toHaveLength(2);
    expect(previous.filter((l) => l.line === 'err 0' && l.stream === 'stderr')).toHaveLength(2);
    expect([...previous].sort((a, b) => a.time.localeCompare(b.time))).toEqual(previous);

    // One replaced replica's run, by its id; an app-wide read finds the service by its archives.
    const one = [...first][0]!;
    const byReplica = await read(rt, { previous: true, replica: one });
    for (const line of ['out 0', 'err 0', 'out 1', 'err 1', 'out 2', 'err 2'])
      expect(byReplica.map((l) => l.line)).toContain(line);
    expect(byReplica.every((l) => l.replica === one)).toBe(true);
    const appWide: LogLine[] = [];
    for await (const l of rt.logs({ app: 'shop', env: 'dev', previous: true }, { follow: false, tail: 4 }))
      appWide.push(l);
    expect(appWide).toEqual(previous.slice(-4));

    // Three more deploys: the retention keeps the service's newest 3 archives, and --previous the last one's.
    let replaced = new Set<string>();
    for (const [i, hash] of ['ccccccc3', 'ddddddd4', 'eeeeeee5'].entries()) {
      replaced = new Set((await read(rt)).map((l) => l.replica));
      await rt.converge(
        fixtureState({ replicas: 2, hash, revision: 3 + i, fixtureEnv: { FIXTURE_PRINT_LINES: '1' } }),
        noSignal,
      );
    }
    expect(archives(fx.home)).toHaveLength(3);
    expect(new Set((await read(rt, { previous: true })).map((l) => l.replica))).toEqual(replaced);
  });

  it('keeps the run before a restart in place, and the running replica logs afresh', async () => {
    const rt = fx.start();
    await expect(
      rt.converge(
        fixtureState({
          fixtureEnv: { FIXTURE_EXIT_CODE: '3' },
          rollout: { maxSurge: 1, maxUnavailable: 0, progressDeadlineMs: 1500 },
        }),
        noSignal,
      ),
    ).rejects.toThrow();
    const [replica] = await waitFor(async () => {
      const obs = await rt.observe('shop', 'dev');
      const r = obs.services[0]?.replicas[0];
      return r && r.restarts >= 2 ? [r.id] : undefined;
    });
    const previous = await read(rt, { previous: true, replica });
    expect(previous.map((l) => l.line)).toEqual([`${replica} exiting with 3`]);
    // The current log holds the latest run only (one line, or none yet between two starts).
    expect((await read(rt, { replica })).length).toBeLessThanOrEqual(1);
  });
});

describe('log archive retention', () => {
  const record = (id: string, hash = 'h1'): ReplicaRecord => replicaRecord(id, { hash });
  const logDir = (home: string, id: string, lines: number): string => {
    const dir = join(home, 'run', id, 'logs');
    mkdirSync(dir, { recursive: true });
    const w = new LogWriter(dir, { maxBytes: 1 << 20, keep: 2 });
    for (let i = 0; i < lines; i++) w.write('stdout', `${id} line ${i} ${'x'.repeat(50)}`);
    w.close();
    return dir;
  };

  it('deletes archives past the age, count and byte limits, newest kept first', () => {
    const home = tempHome();
    const retention = { maxAgeMs: 60_000, maxCount: 10, maxBytes: 100_000 };
    const t0 = 1_000_000_000_000;
    for (let i = 0; i < 4; i++)
      archiveReplicaLogs(home, record(`r${i}`), logDir(home, `r${i}`, 10), {
        reason: 'replaced',
        nowMs: t0 + i * 20_000,
        retention,
      });
    expect(archives(home).map((n) => n.split('-').at(-1))).toEqual(['r0', 'r1', 'r2', 'r3']);
    // r0 ended 70 s before this moment, r1 50 s: only r0 is past the 60 s age.
    pruneArchives(serviceArchiveDir(home, 'shop', 'dev', 'orders'), retention, t0 + 70_000);
    expect(archives(home).map((n) => n.split('-').at(-1))).toEqual(['r1', 'r2', 'r3']);
    // ~830 bytes each: a 2,000-byte budget keeps the newest two.
    pruneArchives(serviceArchiveDir(home, 'shop', 'dev', 'orders'), { ...retention, maxBytes: 2000 }, t0 + 70_000);
    expect(archives(home).map((n) => n.split('-').at(-1))).toEqual(['r2', 'r3']);
    pruneArchives(serviceArchiveDir(home, 'shop', 'dev', 'orders'), { ...retention, maxCount: 1 }, t0 + 70_000);
    expect(archives(home).map((n) => n.split('-').at(-1))).toEqual(['r3']);
    // A run that wrote nothing leaves no archive.
    archiveReplicaLogs(home, record('r9'), logDir(home, 'r9', 0), {
      reason: 'restarted',
      nowMs: t0 + 80_000,
      retention,
    });
    expect(archives(home)).toHaveLength(1);
  });
});
