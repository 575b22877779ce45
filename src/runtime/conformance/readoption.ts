/**
 * Re-adoption: a new runtime instance over the same state (a control-plane restart) finds what runs
 * without converging, converges it without duplicates, and a later change or removal leaves nothing
 * of the old instance's replicas behind.
 */
import { expect, it } from 'vitest';
import type { KitContext } from './context.js';

export function readoptionTests(k: KitContext): void {
  it('re-adopts what runs: no duplicate, none orphaned', async () => {
    const desired = k.state('web', 2, 'h1');
    await k.s.runtime.converge(desired, k.opts());
    const ids = (await k.status('web'))!.replicas.map((r) => r.id).sort();
    await k.s.runtime.close();
    // Closing stops supervising, not serving.
    expect(await k.s.running(k.app, k.env)).toEqual(['h1', 'h1']);

    const again = await k.s.newInstance();
    await k.eventually(
      async () => (await k.status('web', again))?.readyReplicas === 2,
      'the new instance to observe the running replicas as ready',
    );
    expect((await k.status('web', again))!.replicas.map((r) => r.id).sort()).toEqual(ids);
    if (k.s.serving.kind === 'requests')
      expect(new Set(await k.versions(await k.addressUrl('web', again), 6))).toEqual(new Set(['h1']));

    await again.converge(desired, k.opts());
    expect((await k.status('web', again))!.replicas.map((r) => r.id).sort()).toEqual(ids);
    expect(await k.s.running(k.app, k.env)).toEqual(['h1', 'h1']);

    // The adopted replicas are the new instance's to replace and to remove.
    await again.converge(k.state('web', 2, 'h2', { revision: 2 }), k.opts());
    expect(await k.s.running(k.app, k.env)).toEqual(['h2', 'h2']);
    await again.remove(k.app, k.env);
    expect(await k.s.running(k.app, k.env)).toEqual([]);
  });
}
