/**
 * The serialization of operations through the engine (operationLock.ts, prepare.ts): a second
 * operation on an (app, env) while one runs is refused naming the running revision, or queued with
 * `wait` and started only once the first (its automatic rollback included) has finished; it never
 * supersedes it. Another (app, env) is not held up.
 */
import { describe, expect, it } from 'vitest';
import { LockedError } from '../../errors.js';
import { parseSpec } from '../../spec/load.js';
import { ENV, type World, worldPerTest } from './testing/world.js';
import { threeLevels } from './testing/specs.js';

describe('one operation at a time per app and environment', () => {
  let w: World;
  worldPerTest((o) => (w = o));

  it('refuses a second operation while one runs, naming it, and records nothing for it', async () => {
    const plane = await w.start();
    await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    const letApiGo = w.runtime.hold('api');
    const v2 = await w.deploy(plane, threeLevels('2'));
    await w.runtime.converging('api', 2);

    const refused = await w.deploy(plane, threeLevels('3')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockedError);
    expect((refused as LockedError).message).toMatch(
      new RegExp(`^shop in ${ENV}: revision 2 \\(deploy by test, running\\) is in progress; `),
    );
    const scale = await plane.engine
      .scale({ app: 'shop', env: ENV, author: 'ana', service: 'web', replicas: 3 })
      .catch((e: unknown) => e);
    expect(scale).toBeInstanceOf(LockedError);
    expect((await w.releases.list('shop', ENV, 10)).map((r) => r.revision)).toEqual([2, 1]);

    letApiGo();
    expect((await w.finished(v2.id)).status).toBe('succeeded');
  });

  it('queues an operation that waits: it starts after the running one and its rollback, never superseding it', async () => {
    const plane = await w.start();
    await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    w.runtime.fail('web', 'crash loop', { when: (s) => s.workload.env.VERSION === '2' });
    const letApiGo = w.runtime.hold('api');
    const v2 = await w.deploy(plane, threeLevels('2'));
    await w.runtime.converging('api', 2);

    const queued = w.deploy(plane, threeLevels('3'), { wait: true });
    let started = false;
    void queued.then(() => (started = true));
    await w.until(async () => (await w.releases.get(v2.id)).status === 'running');
    expect(started).toBe(false);

    letApiGo(); // v2 goes on, fails at web, and rolls back (revision 3); only then does v3 (revision 4) start
    const v3 = await queued;
    expect(v3.revision).toBe(4);
    expect((await w.finished(v3.id)).status).toBe('succeeded');
    expect((await w.releases.list('shop', ENV, 10)).reverse().map((r) => [r.revision, r.kind, r.status])).toEqual([
      [1, 'deploy', 'succeeded'],
      [2, 'deploy', 'failed'],
      [3, 'auto-rollback', 'succeeded'],
      [4, 'deploy', 'succeeded'],
    ]);
    // Revision 4 was made from what the operation before it left: it starts after revision 3 ended.
    const rb = await w.releases.byRevision('shop', ENV, 3);
    const next = await w.releases.byRevision('shop', ENV, 4);
    expect(Date.parse(next.createdAt)).toBeGreaterThanOrEqual(Date.parse(rb.finishedAt!));
  });

  it('lets another environment of the app run meanwhile', async () => {
    const plane = await w.start();
    await plane.deps.environments.create({ name: 'staging' });
    w.runtime.hold('db');
    await w.deploy(plane, threeLevels('1'));
    const other = await plane.engine.deploy({
      loaded: parseSpec(threeLevels('1'), `${w.dir}/berth.yaml`),
      env: 'staging',
      author: 'test',
    });
    expect(other.env).toBe('staging');
  });
});
