/**
 * Preparing a revision (prepare.ts): a request that cannot be made is refused for that, recording
 * nothing and leaving the lock free; a render that fails gives the lock back; revision N+1 is
 * numbered after the last one and rendered with its options (positionOf for errors at their line).
 */
import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../errors.js';
import { ENV, type World, worldPerTest } from './testing/world.js';
import { threeLevels } from './testing/specs.js';

const NEEDS_TOKEN = `name: shop
services:
  web:
    command: node web.js
    ports: [8080]
    env:
      TOKEN: \${TOKEN:?set TOKEN with berth config set}
`;

describe('preparing a revision', () => {
  let w: World;
  worldPerTest((o) => (w = o));

  it('refuses an operation that cannot be made for that reason, recording nothing', async () => {
    const plane = await w.start();
    const nothing = await plane.engine
      .scale({ app: 'shop', env: ENV, author: 'ana', service: 'web', replicas: 2 })
      .catch((e: unknown) => e);
    expect(nothing).toBeInstanceOf(NotFoundError);
    expect((nothing as Error).message).toBe(`shop is not running in ${ENV}; nothing to scale`);
    await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    const noSuch = await plane.engine
      .scale({ app: 'shop', env: ENV, author: 'ana', service: 'nope', replicas: 2 })
      .catch((e: unknown) => e);
    expect(noSuch).toBeInstanceOf(NotFoundError);
    expect((await w.releases.list('shop', ENV, 10)).map((r) => r.revision)).toEqual([1]);
  });

  it('gives the lock back when the render fails, naming the berth.yaml line', async () => {
    const plane = await w.start();
    const err = await w.deploy(plane, NEEDS_TOKEN).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).toJSON()).toMatchObject({
      problems: [{ file: `${w.dir}/berth.yaml`, line: 7, path: 'services.web.env.TOKEN' }],
    });
    expect(await w.releases.list('shop', ENV, 10)).toEqual([]);
    // Not locked: the next operation runs.
    const ok = await w.deploy(plane, threeLevels('1'));
    expect(ok.revision).toBe(1);
    expect((await w.finished(ok.id)).status).toBe('succeeded');
  });

  it('numbers revisions after the last one, whatever its kind', async () => {
    const plane = await w.start();
    await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    await w.finished((await plane.engine.down({ app: 'shop', env: ENV, author: 'ana' })).id);
    const again = await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    expect([again.revision, again.kind]).toEqual([3, 'deploy']);
    const scaled = await plane.engine.scale({ app: 'shop', env: ENV, author: 'ana', service: 'web', replicas: 3 });
    expect([scaled.revision, scaled.kind]).toEqual([4, 'scale']);
    await w.finished(scaled.id);
    expect(w.runtime.of('shop', ENV, 'web')!.replicas).toBe(3);
  });
});
