/**
 * A failing rollout: a version whose readiness never passes fails the converge with a reason naming
 * the service, shows its replicas as not ready, and the old version's replicas keep serving; a
 * converge back to the old version removes the failed one.
 */
import { expect, it } from 'vitest';
import type { KitContext } from './context.js';

export function failingRolloutTests(k: KitContext): void {
  it('fails a rollout whose readiness never passes, and the old replicas keep serving', async () => {
    const rt = k.s.runtime;
    const good = k.state('web', 2, 'h1');
    await rt.converge(good, k.opts());
    const old = (await k.status('web'))!.replicas.map((r) => r.id).sort();

    const bad = k.state('web', 2, 'h2', { revision: 2, ready: false, progressDeadlineMs: 1_500 });
    const err = await rt.converge(bad, k.opts()).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err, 'the converge of a version that is never ready fails').toBeInstanceOf(Error);
    expect(err!.message).toContain('web');
    // The reason as a code too, which the release keeps and the console translates.
    expect((err as { reasonMessage?: { code?: unknown } }).reasonMessage?.code).toMatch(/^release\./);

    const st = (await k.status('web'))!;
    const byHash = (h: string) => st.replicas.filter((r) => r.hash === h);
    expect(
      byHash('h1')
        .map((r) => r.id)
        .sort(),
    ).toEqual(old);
    expect(byHash('h1').every((r) => r.phase === 'ready')).toBe(true);
    expect(byHash('h2').length).toBeGreaterThan(0);
    expect(byHash('h2').every((r) => r.phase !== 'ready')).toBe(true);

    const serving = k.s.serving;
    if (serving.kind === 'requests') {
      expect(new Set(await k.versions(await k.addressUrl('web'), 10))).toEqual(new Set(['h1']));
    } else {
      expect(await serving.endpoints(k.app, k.env, 'web')).toEqual(['h1', 'h1']);
    }

    // Rolling back to what ran removes the failed version and keeps the old replicas.
    await rt.converge(good, k.opts());
    const back = (await k.status('web'))!;
    expect(back.replicas.map((r) => r.id).sort()).toEqual(old);
    expect(await k.s.running(k.app, k.env)).toEqual(['h1', 'h1']);
  });
}
