/**
 * What the metric sampler reads each tick: a service whose traffic cannot be read (a cluster's
 * Prometheus down) keeps its replicas in the tick, and the other services keep everything.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import type { Releases } from '../release/releases.js';
import type { Runtime } from '../runtime/runtime.js';
import type { TrackTraffic } from '../model/observation.js';
import { createMetricSource } from './metricSource.js';

describe('metric source', () => {
  it("leaves out only the failing service's requests", async () => {
    const reading = (requests: number): TrackTraffic => ({
      track: 'stable',
      requests,
      errors: 0,
      latencyBucketsMs: [10],
      latencyCounts: [requests, 0],
      latencySumMs: requests,
    });
    const service = (name: string) => ({ service: name, desiredReplicas: 2, readyReplicas: 1, replicas: [] });
    const runtime = {
      observe: async () => ({ services: [service('a'), service('b')] }),
      traffic: async (_app: string, _env: string, s: string) => {
        if (s === 'a') throw new Error('Prometheus at http://127.0.0.1:1 is unreachable');
        return [reading(7)];
      },
    } as unknown as Runtime;
    const releases = {
      active: async () => [{ app: 'shop', env: 'prod', kind: 'deploy' }],
    } as unknown as Releases;
    const warned: unknown[] = [];
    const logger = { warn: (o: unknown) => void warned.push(o) } as unknown as Logger;
    const [shop] = await createMetricSource({ releases, runtimeFor: async () => runtime, logger })();
    expect(shop?.services.map((s) => [s.service, s.tracks.map((t) => t.requests), s.ready, s.desired])).toEqual([
      ['a', [], 1, 2],
      ['b', [7], 1, 2],
    ]);
    expect(warned).toHaveLength(1);
  });
});
