/**
 * The automatic rollback (rollback.ts) through the engine: a failed release with policy `auto` is
 * followed by an `auto-rollback` revision that runs the last good revision's content; policy
 * `none`, a first revision with nothing good before it, and an auto-rollback that fails itself
 * roll nothing back.
 */
import { describe, expect, it } from 'vitest';
import { ENV, type World, worldPerTest } from './testing/world.js';
import { threeLevels } from './testing/specs.js';

describe('auto-rollback', () => {
  let w: World;
  worldPerTest((o) => (w = o));

  const revisions = async () =>
    (await w.releases.list('shop', ENV, 10)).reverse().map((r) => [r.revision, r.kind, r.status]);

  it('runs the last good revision again after a failure, under the same operation', async () => {
    const plane = await w.start();
    const good = await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    const goodApi = w.runtime.of('shop', ENV, 'api')!.hash;
    const goodWeb = w.runtime.of('shop', ENV, 'web')!.hash;
    const v2 = await w.deploy(plane, threeLevels('2'));
    const api2 = (await w.releases.content(v2.id)).rendered.services.api!.hash;
    w.runtime.fail('api', 'readiness probe failed', { hash: api2 });
    // wait() on the failed release returns once its auto-rollback has finished too.
    const failed = await plane.engine.wait(v2.id);
    expect(failed.status).toBe('failed');
    expect(await revisions()).toEqual([
      [1, 'deploy', 'succeeded'],
      [2, 'deploy', 'failed'],
      [3, 'auto-rollback', 'succeeded'],
    ]);
    const rb = await w.releases.byRevision('shop', ENV, 3);
    expect(rb).toMatchObject({ sourceRevision: 1, author: 'berth', rollbackPolicy: 'none' });
    expect(rb.configVersion).toBe(good.configVersion);
    // What runs is revision 1's again: db had moved to v2 (level 0 succeeded), api never did.
    expect(w.runtime.of('shop', ENV, 'api')!.hash).toBe(goodApi);
    expect(w.runtime.of('shop', ENV, 'web')!.hash).toBe(goodWeb);
    expect(w.runtime.of('shop', ENV, 'db')!.revision).toBe(3);
    const events = await w.releases.events(v2.id);
    expect(events.at(-1)).toMatchObject({ reason: 'RollingBack', type: 'Warning' });
    expect(events.at(-1)!.detail).toMatchObject({ code: 'event.rollingBack', params: { target: 1, revision: 3 } });
  });

  it('rolls nothing back with policy none', async () => {
    const plane = await w.start();
    await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    const v2 = await w.deploy(plane, threeLevels('2'), { rollbackPolicy: 'none' });
    w.runtime.fail('web', 'crash loop');
    await plane.engine.wait(v2.id);
    expect(await revisions()).toEqual([
      [1, 'deploy', 'succeeded'],
      [2, 'deploy', 'failed'],
    ]);
  });

  it('says there is nothing to roll back to when no revision before was good', async () => {
    const plane = await w.start();
    w.runtime.fail('db', 'no space left');
    const v1 = await w.deploy(plane, threeLevels('1'));
    await plane.engine.wait(v1.id);
    expect(await revisions()).toEqual([[1, 'deploy', 'failed']]);
    expect((await w.releases.events(v1.id)).at(-1)).toMatchObject({ reason: 'NoRollback' });
  });

  it('does not roll back an auto-rollback that fails', async () => {
    const plane = await w.start();
    await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    w.runtime.fail('db', 'disk gone'); // every hash: revision 1's too
    const v2 = await w.deploy(plane, threeLevels('2'));
    await plane.engine.wait(v2.id);
    expect(await revisions()).toEqual([
      [1, 'deploy', 'succeeded'],
      [2, 'deploy', 'failed'],
      [3, 'auto-rollback', 'failed'],
    ]);
  });
});
