/**
 * A release's timeout (deadline.ts) on the engine's clock: it fails the release naming the
 * services it was rolling out, and a resumed release keeps the deadline counted from its first
 * start. No real time passes: the clock is moved by hand.
 */
import { describe, expect, it } from 'vitest';
import { durationText } from './deadline.js';
import { FakeClock } from './testing/fakeClock.js';
import { type World, worldPerTest } from './testing/world.js';
import { threeLevels } from './testing/specs.js';

describe('release timeout', () => {
  let w: World;
  worldPerTest((o) => (w = o));

  it('fails the release when its timeout passes, naming what it was rolling out', async () => {
    const clock = new FakeClock();
    const plane = await w.start({ clock });
    w.runtime.hold('api');
    const rel = await w.deploy(plane, threeLevels('1'), { timeoutMs: 90_000, rollbackPolicy: 'none' });
    await w.runtime.converging('api');
    await clock.advance(89_000);
    expect((await w.releases.get(rel.id)).status).toBe('running');
    // (the store stamped its start in real time, a few ms after the clock was made)
    await clock.advance(2_000);
    const done = await w.finished(rel.id);
    expect(done.status).toBe('failed');
    expect(done.reasonMessage).toMatchObject({
      code: 'release.timedOutRollingOut',
      params: { duration: '90s', services: 'api' },
    });
    expect(done.steps.find((s) => s.service === 'web')!.status).toBe('pending');
  });

  it('keeps the deadline of a release resumed by another control plane: counted from its start', async () => {
    const first = await w.start();
    w.runtime.hold('db');
    const rel = await w.deploy(first, threeLevels('1'), { timeoutMs: 60_000, rollbackPolicy: 'none' });
    await w.runtime.converging('db');
    await first.engine.close(); // a stop: the release stays running, to be resumed
    expect((await w.releases.get(rel.id)).status).toBe('running');

    // The next control plane starts 50 s after the release did: 10 s are left, not 60.
    const startedMs = Date.parse((await w.releases.get(rel.id)).startedAt!);
    const clock = new FakeClock(startedMs + 50_000);
    await w.start({ clock });
    await w.runtime.converging('db', 2);
    await clock.advance(9_000);
    expect((await w.releases.get(rel.id)).status).toBe('running');
    await clock.advance(1_000);
    const done = await w.finished(rel.id);
    expect(done.reasonMessage).toMatchObject({ code: 'release.timedOutRollingOut', params: { duration: '60s' } });
    expect((await w.releases.events(rel.id)).map((e) => e.reason)).toContain('Resumed');
  });

  it('says a timeout as a person wrote it', () => {
    expect([5_000, 90_000, 120_000, 150_000, 600_000].map(durationText)).toEqual(['5s', '90s', '2m', '150s', '10m']);
  });
});
