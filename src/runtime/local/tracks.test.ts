/**
 * Two tracks of one service on the local runtime: a canary beside the stable replicas, both in the
 * gateway's backends tagged by track with the split applied; removing the canary sends traffic back
 * to stable before any canary replica is stopped; both survive a runtime restart (re-adoption).
 */
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import { fixtureState, useLocalRuntime, waitFor } from './testdata/testing.js';

const local = useLocalRuntime({ sampleIntervalMs: 200 });
const start = (keepHome = false): Runtime => local.start({ keepHome });

const noop = { signal: new AbortController().signal, onEvent: (_e: RuntimeEvent): void => undefined };
const KEY = 'shop/dev/orders';

function withCanary(stable: ServiceState, weight: number, replicas = 1): ServiceState {
  const next = fixtureState({ hash: 'ccccccc2', revision: 2, fixtureEnv: { GREETING: 'new' } });
  return {
    ...stable,
    canary: { revision: 2, configVersion: 1, hash: next.hash, replicas, workload: next.workload },
    traffic: { canaryWeight: weight },
  };
}

describe('local runtime tracks', () => {
  it('runs a canary beside stable, tags backends by track and applies the split', async () => {
    const rt = start();
    const stable = fixtureState({ replicas: 2 });
    await rt.converge(stable, noop);
    await rt.converge(withCanary(stable, 25), noop);

    const listener = local.gateway.table().services.find((s) => s.key === KEY)!;
    expect(listener.split).toEqual({ canaryWeight: 25 });
    expect(listener.backends.filter((b) => b.track === 'canary')).toHaveLength(1);
    expect(listener.backends.filter((b) => b.track === undefined)).toHaveLength(2);

    const svc = (await rt.observe('shop', 'dev')).services[0]!;
    expect(svc.tracks).toEqual([
      { track: 'stable', revision: 1, hash: 'aaaaaaa1', desiredReplicas: 2, readyReplicas: 2, weight: 75 },
      { track: 'canary', revision: 2, hash: 'ccccccc2', desiredReplicas: 1, readyReplicas: 1, weight: 25 },
    ]);
    expect(svc.readyReplicas).toBe(2);
    expect(svc.replicas.filter((r) => r.hash === 'ccccccc2')).toHaveLength(1);

    // A weight change only moves traffic: no replica is replaced.
    const ids = svc.replicas.map((r) => r.id).sort();
    await rt.converge(withCanary(stable, 60), noop);
    const after = (await rt.observe('shop', 'dev')).services[0]!;
    expect(after.replicas.map((r) => r.id).sort()).toEqual(ids);
    expect(after.traffic).toEqual({ canaryWeight: 60 });
  });

  it('scales the canary with its step and keeps it across a runtime restart', async () => {
    const rt = start();
    const stable = fixtureState({ replicas: 2 });
    await rt.converge(stable, noop);
    await rt.converge(withCanary(stable, 50, 2), noop);
    expect((await rt.observe('shop', 'dev')).services[0]!.replicas).toHaveLength(4);
    await rt.close();

    const again = start(true);
    const adopted = (await again.observe('shop', 'dev')).services[0]!;
    expect(adopted.replicas).toHaveLength(4);
    await again.converge(withCanary(stable, 50, 2), noop);
    const svc = (await again.observe('shop', 'dev')).services[0]!;
    expect(svc.replicas).toHaveLength(4);
    expect(svc.tracks?.map((t) => [t.track, t.readyReplicas])).toEqual([
      ['stable', 2],
      ['canary', 2],
    ]);
  });

  it('puts all traffic back on stable before it stops a canary replica', async () => {
    const rt = start();
    const stable = fixtureState({ replicas: 1 });
    await rt.converge(stable, noop);
    await rt.converge(withCanary(stable, 50), noop);
    const canaryId = (await rt.observe('shop', 'dev')).services[0]!.replicas.find((r) => r.hash === 'ccccccc2')!.id;
    const from = local.gateway.history.length;

    await rt.converge(stable, noop);

    const changes = local.gateway.history.slice(from).map((h) => h.table.services.find((s) => s.key === KEY)!);
    // The first table applied has no split, while the canary still serves (it drains unused).
    expect(changes[0]!.split).toBeUndefined();
    const svc = (await rt.observe('shop', 'dev')).services[0]!;
    expect(svc.tracks).toBeUndefined();
    expect(svc.replicas.map((r) => r.hash)).toEqual(['aaaaaaa1']);
    expect(local.gateway.backends(KEY)).not.toContain(canaryId);
  });

  it('scales one track without a new revision (the autoscaler lever)', async () => {
    const rt = start();
    const stable = fixtureState({ replicas: 1 });
    await rt.converge(withCanary(stable, 10), noop);
    await rt.scale!('shop', 'dev', 'orders', 'stable', 3);
    await waitFor(async () => (await rt.observe('shop', 'dev')).services[0]!.readyReplicas === 3, 10_000, 'stable 3');
    const svc = (await rt.observe('shop', 'dev')).services[0]!;
    expect(svc.tracks?.map((t) => [t.track, t.desiredReplicas, t.readyReplicas])).toEqual([
      ['stable', 3, 3],
      ['canary', 1, 1],
    ]);
    await rt.converge(stable, noop);
    await expect(rt.scale!('shop', 'dev', 'orders', 'canary', 2)).rejects.toThrow(/no canary track of orders/);
  });
});
