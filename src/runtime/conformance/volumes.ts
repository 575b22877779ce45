/**
 * Volumes: what a replica writes to the app's volume is there for the replica that replaces it, and
 * after the app is removed and deployed again (removal keeps volumes).
 */
import { expect, it } from 'vitest';
import type { KitContext } from './context.js';
import type { VolumeView } from './setup.js';

export function volumeTests(k: KitContext): void {
  it('keeps the data of a volume across a replica replacement and a removal', async () => {
    const rt = k.s.runtime;
    const view = (): Promise<VolumeView | undefined> => k.s.volume(k.app, k.env, 'db', 'data');
    await rt.converge(k.state('db', 1, 'v1', { volume: 'data' }), k.opts());
    const first = await view();
    if (first?.kind === 'data') expect(first.lines).toEqual(['v1']);
    else expect(first).toMatchObject({ kind: 'claim', mounted: true });

    await rt.converge(k.state('db', 1, 'v2', { volume: 'data', revision: 2 }), k.opts());
    const replaced = await view();
    if (replaced?.kind === 'data') {
      expect(replaced.lines).toEqual(['v1', 'v2']);
      // The new replica reads what the old one wrote.
      if (k.s.serving.kind === 'requests') {
        const answer = await k.ask(await k.addressUrl('db'), '/volume');
        expect(answer).toMatchObject({ status: 200, version: 'v2', volume: ['v1', 'v2'] });
      }
    } else expect(replaced).toEqual(first);

    await rt.remove(k.app, k.env);
    await rt.converge(k.state('db', 1, 'v3', { volume: 'data', revision: 3 }), k.opts());
    const again = await view();
    if (again?.kind === 'data') expect(again.lines).toEqual(['v1', 'v2', 'v3']);
    else expect(again).toEqual(first);
  });
}
