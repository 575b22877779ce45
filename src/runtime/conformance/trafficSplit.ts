/**
 * Traffic split between tracks: a canary beside the stable version gets the weight it is given
 * (observed per track, and in what serves the service's address), none at weight 0, and leaves with
 * its replicas when the state drops it.
 */
import { expect, it } from 'vitest';
import type { KitContext } from './context.js';

const REQUESTS = 40;

export function trafficSplitTests(k: KitContext): void {
  it('splits traffic between the stable and the canary track by weight, and removes the canary', async () => {
    const rt = k.s.runtime;
    const stable = k.state('web', 2, 's1', { progressive: true });
    const next = k.state('web', 1, 'c2', { progressive: true, revision: 2 });
    await rt.converge(stable, k.opts());
    // A cluster splits at the edge (its route to the service), one machine at the service's address too.
    await rt.applyRoutes(
      { app: k.app, env: k.env, routes: [{ pathPrefix: '/', service: 'web', stripPrefix: false }] },
      k.opts(),
    );
    const stableIds = (await k.status('web'))!.replicas.map((r) => r.id).sort();

    await rt.converge(k.withCanary(stable, next, { canaryWeight: 50 }), k.opts());
    const st = (await k.status('web'))!;
    expect(st.traffic).toEqual({ canaryWeight: 50 });
    expect(st.tracks).toEqual([
      expect.objectContaining({ track: 'stable', hash: 's1', desiredReplicas: 2, readyReplicas: 2, weight: 50 }),
      expect.objectContaining({ track: 'canary', hash: 'c2', desiredReplicas: 1, readyReplicas: 1, weight: 50 }),
    ]);
    expect(st.hash).toBe('s1');
    expect(st.replicas.map((r) => r.hash).sort()).toEqual(['c2', 's1', 's1']);
    // The canary's arrival leaves the stable replicas alone.
    expect(
      st.replicas
        .filter((r) => r.hash === 's1')
        .map((r) => r.id)
        .sort(),
    ).toEqual(stableIds);

    const serving = k.s.serving;
    const url = await k.addressUrl('web');
    if (serving.kind === 'requests') {
      const seen = await k.versions(url, REQUESTS);
      const canary = seen.filter((v) => v === 'c2').length;
      // 50% of 40: far from 0 and from 40 for any fair draw (p < 1e-4 outside 8..32).
      expect(canary).toBeGreaterThanOrEqual(8);
      expect(canary).toBeLessThanOrEqual(32);
      expect(seen.filter((v) => v !== 'c2').every((v) => v === 's1')).toBe(true);
    } else {
      expect(await serving.weights(k.app, k.env, 'web')).toEqual({ stable: 50, canary: 50 });
    }

    await rt.converge(k.withCanary(stable, next, { canaryWeight: 0 }), k.opts());
    expect((await k.status('web'))!.tracks?.map((t) => t.weight)).toEqual([100, 0]);
    if (serving.kind === 'requests') expect(new Set(await k.versions(url, 10))).toEqual(new Set(['s1']));
    else expect(await serving.weights(k.app, k.env, 'web')).toEqual({ stable: 100, canary: 0 });

    await rt.converge(stable, k.opts());
    const after = (await k.status('web'))!;
    expect(after.tracks).toBeUndefined();
    expect(after.replicas.map((r) => r.id).sort()).toEqual(stableIds);
    expect(await k.s.running(k.app, k.env)).toEqual(['s1', 's1']);
  });
}
