/**
 * The engine's own entry points (engine.ts) beyond running releases: a plan against what runs
 * records nothing, the latest spec is the last revision's, a diff compares two revisions, and a
 * closed engine leaves its running release running (to be resumed) instead of failing it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../errors.js';
import { parseSpec } from '../../spec/load.js';
import { ENV, type World, worldPerTest } from './testing/world.js';
import { threeLevels } from './testing/specs.js';

describe('release engine', () => {
  let w: World;
  worldPerTest((o) => (w = o));

  it('plans against what runs without recording anything, and diffs two revisions', async () => {
    const plane = await w.start();
    const loaded = (v: string) => parseSpec(threeLevels(v), join(w.dir, 'berth.yaml'));
    const first = await plane.engine.plan({ loaded: loaded('1'), env: ENV });
    expect(first.current).toBeUndefined();
    expect(first.plan.services.map((s) => [s.service, s.action])).toEqual(
      expect.arrayContaining([
        ['db', 'create'],
        ['api', 'create'],
        ['web', 'create'],
      ]),
    );
    expect(await w.releases.list('shop', ENV, 10)).toEqual([]);
    expect(w.runtime.calls).toEqual([]);

    await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    const second = await plane.engine.plan({ loaded: loaded('2'), env: ENV });
    expect(second.current?.revision).toBe(1);
    expect(second.plan.services.find((s) => s.service === 'api')).toMatchObject({ action: 'update', restart: true });
    await w.finished((await w.deploy(plane, threeLevels('2'))).id);
    const diff = await plane.engine.diff('shop', ENV, 1, 2);
    expect(diff.services.find((s) => s.service === 'db')!.changes).toContainEqual(
      expect.objectContaining({ from: '1', to: '2' }),
    );
    expect((await plane.engine.latestSpec('shop', ENV)).spec.services.api!.dependsOn).toEqual(['db']);
    await expect(plane.engine.latestSpec('shop', 'nowhere')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('leaves a release running when it is closed, for the next start to resume', async () => {
    const plane = await w.start();
    w.runtime.hold('api');
    const rel = await w.deploy(plane, threeLevels('1'));
    await w.runtime.converging('api');
    await plane.engine.close();
    const left = await w.releases.get(rel.id);
    expect(left.status).toBe('running');
    // the interrupted step too: a stop is not a failure of the service
    expect(left.steps.map((s) => [s.service, s.status])).toEqual([
      ['db', 'succeeded'],
      ['api', 'running'],
      ['web', 'pending'],
    ]);
    w.runtime.heal('api');
    await w.start();
    const done = await w.finished(rel.id);
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });
});
