/**
 * Running one release (execute.ts) through the engine, over a real store and a fake runtime: the
 * levels in dependency order, routes after the services, services no longer in the app pruned,
 * `down`, and a failure in any level failing the release with its coded reason.
 */
import { describe, expect, it } from 'vitest';
import { ENV, type World, worldPerTest } from './testing/world.js';
import { threeLevels } from './testing/specs.js';

describe('executing a release', () => {
  let w: World;
  worldPerTest((o) => (w = o));

  it('converges level by level, each level once the previous one is ready, then applies the routes', async () => {
    const plane = await w.start();
    const holdDb = w.runtime.hold('db');
    const rel = await w.deploy(plane, threeLevels('1', 'routes:\n  - path: /\n    service: web\n'));
    await w.runtime.converging('db');
    // db is not ready: api (level 1) must not have been asked for yet.
    await w.until(async () => (await w.releases.get(rel.id)).steps.some((s) => s.status === 'running'));
    expect(w.runtime.calls.map((c) => c.op === 'converge' && c.service)).toEqual(['db']);
    holdDb();
    const done = await w.finished(rel.id);
    expect(done.status).toBe('succeeded');
    expect(w.runtime.calls.map((c) => (c.op === 'converge' ? c.service : c.op))).toEqual([
      'db',
      'api',
      'web',
      'applyRoutes',
    ]);
    expect(done.steps.map((s) => [s.service, s.status])).toEqual(
      expect.arrayContaining([
        ['db', 'succeeded'],
        ['api', 'succeeded'],
        ['web', 'succeeded'],
      ]),
    );
    const events = await w.releases.events(rel.id);
    expect(events.filter((e) => e.reason === 'Level').map((e) => e.message)).toEqual([
      expect.stringContaining('db'),
      expect.stringContaining('api'),
      expect.stringContaining('web'),
    ]);
    expect(events.at(-1)).toMatchObject({ reason: 'Succeeded' });
    expect(w.runtime.routes.get(`shop/${ENV}`)?.routes).toHaveLength(1);
  });

  for (const [level, service] of [
    [0, 'db'],
    [1, 'api'],
    [2, 'web'],
  ] as const)
    it(`fails the release when level ${level} (${service}) fails, starting no later level`, async () => {
      const plane = await w.start();
      w.runtime.fail(service, 'replica exited with code 1');
      const rel = await w.deploy(plane, threeLevels('1'), { rollbackPolicy: 'none' });
      const done = await w.finished(rel.id);
      expect(done.status).toBe('failed');
      expect(done.reasonMessage).toMatchObject({
        code: 'release.failed',
        params: { error: 'replica exited with code 1' },
      });
      const converged = w.runtime.calls.filter((c) => c.op === 'converge').map((c) => c.op === 'converge' && c.service);
      expect(converged).toEqual(['db', 'api', 'web'].slice(0, level + 1));
      expect(w.runtime.calls.some((c) => c.op === 'applyRoutes')).toBe(false);
      expect(done.steps.find((s) => s.service === service)).toMatchObject({
        status: 'failed',
        message: 'replica exited with code 1',
      });
      const events = await w.releases.events(rel.id);
      expect(events.at(-1)).toMatchObject({ reason: 'Failed', type: 'Warning' });
    });

  it('prunes the services the new revision no longer has, and `down` removes the app', async () => {
    const plane = await w.start();
    expect((await w.finished((await w.deploy(plane, threeLevels('1'))).id)).status).toBe('succeeded');
    const noWeb = threeLevels('1').replace(/ {2}web:[\s\S]*$/, '');
    const second = await w.finished((await w.deploy(plane, noWeb)).id);
    expect(second.status).toBe('succeeded');
    expect(w.runtime.of('shop', ENV, 'web')).toBeUndefined();
    expect(w.runtime.calls.filter((c) => c.op === 'remove')).toEqual([
      { op: 'remove', app: 'shop', env: ENV, service: 'web' },
    ]);
    expect((await w.releases.events(second.id)).map((e) => e.reason)).toContain('Pruned');

    const down = await w.finished((await plane.engine.down({ app: 'shop', env: ENV, author: 'test' })).id);
    expect(down.status).toBe('succeeded');
    expect(w.runtime.running.size).toBe(0);
  });

  it('keeps a runtime event on the release, naming its replica', async () => {
    const plane = await w.start();
    w.runtime.reports('api', [{ replica: 'api-1', type: 'Warning', reason: 'Unhealthy', message: 'probe failed' }]);
    const rel = await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    const events = await w.releases.events(rel.id);
    expect(events).toContainEqual(
      expect.objectContaining({ service: 'api', reason: 'Unhealthy', message: 'api-1: probe failed' }),
    );
  });
});
