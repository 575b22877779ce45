/**
 * The evaluator's readings joined from a runtime's observe and traffic (a runtime double answering
 * as the local runtime does): unavailable replicas at once, error rate from the second look on.
 */
import { describe, expect, it } from 'vitest';
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
    const read = createAlertReadings(async () => runtime);
    const first = await read('shop', 'local');
    expect(first.get('unavailable-replicas')).toEqual([{ service: 'orders', value: 1 }]);
    expect(first.get('error-rate')).toEqual([]);
    requests += 50;
    errors += 10;
    const second = await read('shop', 'local');
    expect(second.get('error-rate')).toEqual([{ service: 'orders', value: 0.2 }]);
    // Another environment keeps its own counters: its first look measures nothing.
    expect((await read('shop', 'staging')).get('error-rate')).toEqual([]);
  });
});
