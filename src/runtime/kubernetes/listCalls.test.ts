/**
 * How many LIST calls a release makes: every service of an app converged (concurrently, as one level
 * of a release, 20 at a time) and its routes applied, against the fake API server. Pruning reads the app's objects
 * once per release (inventory.ts) instead of listing ten kinds per service.
 * `BERTH_LIST_CALLS_SERVICES=200 npx vitest run --project unit src/runtime/kubernetes/listCalls.test.ts`
 * measures a 200-service release (docs/benchmarks.md); the default is 20 services.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../model/observation.js';
import { startHarness, testState, type KubeHarness } from './testing/harness.js';

const services = Number(process.env.BERTH_LIST_CALLS_SERVICES ?? 20);

describe('LIST calls of a release', () => {
  let h: KubeHarness | undefined;
  afterAll(async () => {
    await h?.close();
  });

  it(`makes about two LISTs per service (events and pods) plus one per kind per release, for ${services} services`, async () => {
    h = await startHarness({ podReadyDelayMs: 5 });
    const rt = h.open();
    const o = { signal: AbortSignal.timeout(300_000), onEvent: (_e: RuntimeEvent) => undefined };
    const names = Array.from({ length: services }, (_, i) => `svc${i}`);
    const release = async (revision: number, hash: string): Promise<number> => {
      const before = h!.server.requests.length;
      // Level by level, 20 services at a time, as a release of independent services converges them.
      for (let i = 0; i < names.length; i += 20)
        await Promise.all(
          names.slice(i, i + 20).map((service) =>
            rt.converge(
              testState({
                app: 'big',
                env: 'prod',
                service,
                replicas: 1,
                hash,
                revision,
                progressDeadlineMs: 120_000,
              }),
              o,
            ),
          ),
        );
      await rt.applyRoutes(
        { app: 'big', env: 'prod', routes: [{ pathPrefix: '/', service: 'svc0', stripPrefix: false }] },
        o,
      );
      return (
        h!.server.requests
          .slice(before)
          // A LIST: a GET of a collection in the namespace that is not a watch.
          .filter((r) => r.method === 'GET' && r.query.watch !== 'true' && /\/namespaces\/[^/]+\/[a-z]+$/.test(r.path))
          .length
      );
    };
    const first = await release(1, 'a1');
    const second = await release(2, 'b2');
    console.log(
      `LIST calls of a ${services}-service release: first ${first} (${(first / services).toFixed(2)} per service), next ${second} (${(second / services).toFixed(2)} per service)`,
    );
    for (const n of [first, second]) {
      expect(n).toBeLessThanOrEqual(12 + 3 * services);
      expect(n / services).toBeLessThan(10);
    }
  }, 300_000);
});
