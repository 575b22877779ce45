/**
 * Stateful services and volumes on the local runtime, with real processes: stable indexes, ordered
 * start, stop and update, per-replica volumes and ports kept across restarts, updates and re-adoption.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../errors.js';
import type { Runtime } from '../runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { VolumeMount } from '../../model/volumes.js';
import { fixtureState, useLocalRuntime, waitFor } from './testdata/testing.js';

const fx = useLocalRuntime();

const opts = (events: RuntimeEvent[] = []) => ({
  signal: new AbortController().signal,
  onEvent: (e: RuntimeEvent) => events.push(e),
});

const pgdata: VolumeMount = { volume: 'pgdata', path: '/var/lib/postgresql/data', env: 'PGDATA', readOnly: false };

function dbState(over: Partial<ServiceState> = {}, fixtureEnv: Record<string, string> = {}): ServiceState {
  const s = fixtureState({ service: 'db', replicas: 3, run: { kind: 'service', stateful: true }, fixtureEnv, ...over });
  s.workload.volumes = [pgdata];
  return s;
}

/** The environment replica `port` runs with (the fixture answers it on /env). */
async function envOf(port: number): Promise<Record<string, string>> {
  const res = await fetch(`http://127.0.0.1:${port}/env`);
  return (await res.json()) as Record<string, string>;
}

async function replicasOf(rt: Runtime, service = 'db') {
  const svc = (await rt.observe('shop', 'dev')).services.find((s) => s.service === service)!;
  return [...svc.replicas].sort((a, b) => a.id.localeCompare(b.id));
}

const volumeDir = (name: string): string => join(fx.home, 'volumes', 'shop', 'dev', name);

describe('a stateful service on one machine', () => {
  it('starts replicas 0,1,2 one at a time, each once the one before is ready, with its own index, volume and port', async () => {
    const rt = fx.start();
    const events: RuntimeEvent[] = [];
    await rt.converge(dbState({}, { FIXTURE_READY_AFTER_MS: '300' }), opts(events));
    const order = events
      .filter((e) => (e.reason === 'Started' || e.reason === 'Ready') && e.replica)
      .map((e) => `${e.reason} ${e.replica}`);
    expect(order).toEqual(['Started db-0', 'Ready db-0', 'Started db-1', 'Ready db-1', 'Started db-2', 'Ready db-2']);
    const replicas = await replicasOf(rt);
    expect(replicas.map((r) => [r.id, r.index])).toEqual([
      ['db-0', 0],
      ['db-1', 1],
      ['db-2', 2],
    ]);
    for (const [i, r] of replicas.entries()) {
      const env = await envOf(r.port!);
      expect(env.BERTH_REPLICA_INDEX).toBe(String(i));
      expect(env.BERTH_VOLUME_PGDATA).toBe(volumeDir(`pgdata-${i}`));
      expect(env.PGDATA).toBe(volumeDir(`pgdata-${i}`));
      expect(statSync(volumeDir(`pgdata-${i}`)).mode & 0o777).toBe(0o700);
      // Its own stable address and those of the replicas started before it (headless-Service style).
      expect(env.PORT).toBe(String(r.port));
      for (let j = 0; j <= i; j++) {
        expect(env[`DB_${j}_HOST`]).toBe('127.0.0.1');
        expect(env[`DB_${j}_PORT`]).toBe(String(replicas[j]!.port));
      }
      expect(env[`DB_${i + 1}_PORT`]).toBeUndefined();
    }
    // Another service started afterwards sees every replica's address.
    await rt.converge(fixtureState(), opts());
    const [client] = await replicasOf(rt, 'orders');
    const seen = await envOf(client!.port!);
    expect([0, 1, 2].map((j) => seen[`DB_${j}_PORT`])).toEqual(replicas.map((r) => String(r.port)));
  });

  it('updates from the highest index down, keeping each index, port and volume, also after re-adoption', async () => {
    const rt = fx.start();
    await rt.converge(dbState(), opts());
    const before = await replicasOf(rt);
    for (const [i, r] of before.entries()) {
      writeFileSync(join((await envOf(r.port!)).PGDATA!, 'row'), `data of ${i}`);
    }
    await rt.close();

    // A control-plane restart: the replicas are adopted with their indexes, then updated.
    const again = fx.start({ keepHome: true });
    const events: RuntimeEvent[] = [];
    await again.converge(dbState({ hash: 'bbbbbbb2', revision: 2 }, { GREETING: 'v2' }), opts(events));
    const killed = events.filter((e) => e.reason === 'Killing').map((e) => e.replica);
    expect(killed).toEqual(['db-2', 'db-1', 'db-0']);
    const after = await replicasOf(again);
    expect(after.map((r) => [r.id, r.port, r.hash])).toEqual(before.map((r) => [r.id, r.port, 'bbbbbbb2']));
    for (const [i, r] of after.entries()) {
      const env = await envOf(r.port!);
      expect(env.GREETING).toBe('v2');
      expect(env.BERTH_REPLICA_INDEX).toBe(String(i));
      expect(readFileSync(join(env.PGDATA!, 'row'), 'utf8')).toBe(`data of ${i}`);
    }
  });

  it('scales down from the highest index, keeps the removed indexes volumes and reuses them on scale-up', async () => {
    const rt = fx.start();
    await rt.converge(dbState(), opts());
    const ports = (await replicasOf(rt)).map((r) => r.port);
    writeFileSync(join(volumeDir('pgdata-2'), 'row'), 'kept');
    const events: RuntimeEvent[] = [];
    await rt.converge(dbState({ replicas: 1 }), opts(events));
    expect(events.filter((e) => e.reason === 'Killing').map((e) => e.replica)).toEqual(['db-2', 'db-1']);
    expect((await replicasOf(rt)).map((r) => r.id)).toEqual(['db-0']);
    expect(existsSync(volumeDir('pgdata-2'))).toBe(true);

    await rt.converge(dbState(), opts());
    const back = await replicasOf(rt);
    expect(back.map((r) => r.port)).toEqual(ports);
    const env2 = await envOf(back[2]!.port!);
    expect(readFileSync(join(env2.PGDATA!, 'row'), 'utf8')).toBe('kept');
  });

  it('gives every replica of a plain service its slot index and one shared volume', async () => {
    const rt = fx.start();
    const state = fixtureState({ replicas: 2 });
    state.workload.volumes = [{ volume: 'cache-data', path: '/cache', readOnly: false }];
    await rt.converge(state, opts());
    const replicas = await replicasOf(rt, 'orders');
    const envs = await Promise.all(replicas.map((r) => envOf(r.port!)));
    expect(envs.map((e) => e.BERTH_REPLICA_INDEX).sort()).toEqual(['0', '1']);
    expect(envs.map((e) => e.BERTH_VOLUME_CACHE_DATA)).toEqual([volumeDir('cache-data'), volumeDir('cache-data')]);
    // A rolling update: the new version's replicas take slots 0 and 1 again.
    await rt.converge({ ...state, hash: 'bbbbbbb2', revision: 2 }, opts());
    const updated = await Promise.all((await replicasOf(rt, 'orders')).map((r) => envOf(r.port!)));
    expect(updated.map((e) => e.BERTH_REPLICA_INDEX).sort()).toEqual(['0', '1']);
  });
});

describe('volumes on one machine', () => {
  it('keeps data when the app is removed, refuses to delete a mounted one, deletes it on request', async () => {
    const rt = fx.start();
    const state = fixtureState();
    state.workload.volumes = [{ volume: 'data', path: '/data', env: 'DATA_DIR', readOnly: false, sizeBytes: 1024 }];
    await rt.converge(state, opts());
    writeFileSync(join(volumeDir('data'), 'file'), 'x'.repeat(100));
    const listed = await rt.volumes!('dev', 'shop');
    expect(listed).toEqual([
      {
        app: 'shop',
        env: 'dev',
        volume: 'data',
        name: 'data',
        usedBytes: 100,
        sizeBytes: 1024,
        services: ['orders'],
        path: volumeDir('data'),
      },
    ]);
    await expect(rt.removeVolumes!('shop', 'dev', 'data')).rejects.toThrow(ConflictError);
    await rt.remove('shop', 'dev');
    expect(readFileSync(join(volumeDir('data'), 'file'), 'utf8')).toHaveLength(100);
    expect((await rt.volumes!('dev'))[0]).toMatchObject({ volume: 'data', services: [] });

    // Deployed again, the replica finds its data.
    await rt.converge(state, opts());
    const [r] = await replicasOf(rt, 'orders');
    expect(readFileSync(join((await envOf(r!.port!)).DATA_DIR!, 'file'), 'utf8')).toHaveLength(100);
    await rt.remove('shop', 'dev');
    const removed = await rt.removeVolumes!('shop', 'dev', 'data');
    expect(removed.map((v) => v.name)).toEqual(['data']);
    expect(existsSync(volumeDir('data'))).toBe(false);
    await waitFor(async () => (await rt.volumes!('dev')).length === 0, 1000, 'no volume listed');
  });
});
