/**
 * What the metric sampler reads each tick: a service whose traffic cannot be read (a cluster's
 * Prometheus down) keeps its replicas in the tick, and the other services keep everything; the apps
 * are read side by side, so the local runtime's gateway is asked once per tick for all of them.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import type { Releases } from '../release/releases.js';
import type { Runtime } from '../runtime/runtime.js';
import type { GatewayControl, ServiceTraffic } from '../gateway/table.js';
import { GatewayAccess } from '../runtime/local/gatewayAccess.js';
import { createMetricSource } from './metricSource.js';
import { trackReading as reading } from './testing/trackReading.js';

describe('metric source', () => {
  it("leaves out only the failing service's requests", async () => {
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

  it('reads every app from one gateway reading, and an app that cannot be observed leaves the others', async () => {
    const apps = ['a0', 'a1', 'a2', 'broken', 'a4'];
    let readings = 0;
    // The local runtime's real sharing of the gateway's counters; the gateway answers after a real wait.
    const gateway = {
      traffic: async (): Promise<ServiceTraffic[]> => {
        readings++;
        await new Promise((r) => setTimeout(r, 5));
        return apps.map((app, i) => ({ key: `${app}/prod/web`, tracks: [reading(i + 1)] }));
      },
    } as unknown as GatewayControl;
    const access = new GatewayAccess(gateway, {} as Logger, Date.now);
    const runtime = {
      observe: async (app: string) => {
        await new Promise((r) => setImmediate(r));
        if (app === 'broken') throw new Error('cannot observe broken');
        return { services: [{ service: 'web', desiredReplicas: 1, readyReplicas: 1, replicas: [] }] };
      },
      traffic: async (app: string, env: string, service: string) =>
        (await access.traffic()).find((t) => t.key === `${app}/${env}/${service}`)?.tracks ?? [],
    } as unknown as Runtime;
    const releases = {
      active: async () => apps.map((app) => ({ app, env: 'prod', kind: 'deploy' })),
    } as unknown as Releases;
    const logger = { warn: () => undefined } as unknown as Logger;
    const source = createMetricSource({ releases, runtimeFor: async () => runtime, logger });
    const first = await source();
    expect(first.map((r) => [r.app, r.services[0]?.tracks[0]?.requests])).toEqual([
      ['a0', 1],
      ['a1', 2],
      ['a2', 3],
      ['a4', 5],
    ]);
    expect(readings).toBe(1);
    await source();
    expect(readings).toBe(2);
  });
});
