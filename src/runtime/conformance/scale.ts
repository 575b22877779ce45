/**
 * Scale: more replicas of the same version are added beside the running ones (none restarted), fewer
 * leave a subset, requests reach every replica; a runtime with `scale` sets a track's count without a
 * new state and refuses a track that is not there.
 */
import { expect, it } from 'vitest';
import { NotFoundError } from '../../errors.js';
import type { KitContext } from './context.js';

export function scaleTests(k: KitContext): void {
  it('scales up and down without replacing the running replicas', async () => {
    const rt = k.s.runtime;
    await rt.converge(k.state('web', 1, 'h1'), k.opts());
    const one = (await k.status('web'))!.replicas.map((r) => r.id);

    await rt.converge(k.state('web', 3, 'h1'), k.opts());
    const st = (await k.status('web'))!;
    expect(st).toMatchObject({ desiredReplicas: 3, readyReplicas: 3 });
    const three = st.replicas.map((r) => r.id).sort();
    expect(three).toHaveLength(3);
    expect(three).toEqual(expect.arrayContaining(one));
    expect(st.replicas.every((r) => r.hash === 'h1' && r.phase === 'ready' && r.restarts === 0)).toBe(true);
    expect(await k.s.running(k.app, k.env)).toEqual(['h1', 'h1', 'h1']);

    const serving = k.s.serving;
    if (serving.kind === 'requests') {
      const url = await k.addressUrl('web');
      const replicas = new Set<string>();
      await k.eventually(async () => {
        replicas.add((await k.ask(url, '/')).replica!);
        return replicas.size === 3;
      }, 'requests to reach every replica');
    } else {
      expect(await serving.endpoints(k.app, k.env, 'web')).toEqual(['h1', 'h1', 'h1']);
    }

    await rt.converge(k.state('web', 1, 'h1'), k.opts());
    const down = (await k.status('web'))!;
    expect(down).toMatchObject({ desiredReplicas: 1, readyReplicas: 1 });
    expect(down.replicas).toHaveLength(1);
    expect(three).toContain(down.replicas[0]!.id);
    expect(await k.s.running(k.app, k.env)).toEqual(['h1']);

    if (rt.scale) {
      await rt.scale(k.app, k.env, 'web', 'stable', 2);
      await k.eventually(
        async () => (await k.status('web'))?.readyReplicas === 2,
        'the scaled track to have 2 ready replicas',
      );
      expect((await k.status('web'))!.replicas.map((r) => r.id)).toContain(down.replicas[0]!.id);
      await expect(rt.scale(k.app, k.env, 'web', 'canary', 1)).rejects.toBeInstanceOf(NotFoundError);
      await expect(rt.scale(k.app, k.env, 'nothing', 'stable', 1)).rejects.toBeInstanceOf(NotFoundError);
    }
  });
}
