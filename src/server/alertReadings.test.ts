/**
 * The evaluator's readings joined from a runtime's observe and traffic and the store's events (a runtime double answering
 * as the local runtime does): unavailable replicas at once, error rate from the second look on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../store/store.js';
import type { AppObservation, TrackTraffic } from '../model/observation.js';
import type { Runtime } from '../runtime/runtime.js';
import { createAlertReadings } from './alertReadings.js';

describe('alert readings from the runtime', () => {
  it('joins observed replicas and the interval of the request counters, per app and environment', async () => {
    let requests = 100;
    let errors = 0;
    const observation: AppObservation = {
      services: [{ app: 'shop', env: 'local', service: 'orders', desiredReplicas: 2, readyReplicas: 1, replicas: [] }],
    };
    const runtime = {
      observe: async () => observation,
      traffic: async (): Promise<TrackTraffic[]> => [
        { track: 'stable', requests, errors, latencyBucketsMs: [100], latencyCounts: [requests, 0], latencySumMs: 0 },
      ],
    } as unknown as Runtime;
    const home = await mkdtemp(path.join(os.tmpdir(), 'berth-readings-'));
    const store = await openStore({ file: path.join(home, 'berth.db') });
    const read = createAlertReadings({ runtimeFor: async () => runtime, db: store.db });
    const first = await read('shop', 'local');
    expect(first.get('unavailable-replicas')).toEqual([{ service: 'orders', value: 1 }]);
    // the first look measures no interval: no traffic reading (a firing alert keeps its state)
    expect(first.has('error-rate')).toBe(false);
    requests += 50;
    errors += 10;
    const second = await read('shop', 'local');
    expect(second.get('error-rate')).toEqual([{ service: 'orders', value: 0.2 }]);
    // Another environment keeps its own counters: its first look measures nothing.
    expect((await read('shop', 'staging')).has('error-rate')).toBe(false);
    // The store's events are read too: none recorded, none counted.
    expect(second.get('release-failed')).toEqual([]);
    await store.close();
    await rm(home, { recursive: true, force: true });
  });
});

describe('alert readings when the traffic cannot be read', () => {
  it('still reads the replicas, and the next look measures the requests since the last one read', async () => {
    let requests = 100;
    let errors = 0;
    let down = false;
    const observation: AppObservation = {
      services: [{ app: 'shop', env: 'prod', service: 'orders', desiredReplicas: 2, readyReplicas: 1, replicas: [] }],
    };
    const runtime = {
      observe: async () => observation,
      traffic: async (): Promise<TrackTraffic[]> => {
        if (down) throw new Error('Prometheus at http://127.0.0.1:1 is unreachable');
        return [
          { track: 'stable', requests, errors, latencyBucketsMs: [100], latencyCounts: [requests, 0], latencySumMs: 0 },
        ];
      },
    } as unknown as Runtime;
    const home = await mkdtemp(path.join(os.tmpdir(), 'berth-readings-'));
    const store = await openStore({ file: path.join(home, 'berth.db') });
    const warned: unknown[] = [];
    const read = createAlertReadings({
      runtimeFor: async () => runtime,
      db: store.db,
      logger: { warn: (o: unknown) => void warned.push(o) },
    });
    await read('shop', 'prod');
    down = true;
    requests += 50;
    errors += 10;
    const blind = await read('shop', 'prod');
    expect(blind.get('unavailable-replicas')).toEqual([{ service: 'orders', value: 1 }]);
    expect(blind.has('error-rate')).toBe(false);
    expect(warned).toHaveLength(1);
    down = false;
    requests += 50;
    errors += 10;
    expect((await read('shop', 'prod')).get('error-rate')).toEqual([{ service: 'orders', value: 0.2 }]);
    await store.close();
    await rm(home, { recursive: true, force: true });
  });
});
