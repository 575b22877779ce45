/**
 * The release bus (releaseBus.ts) over a real store: an event is committed, then published to the
 * release's subscribers, stamped with the engine's clock; `finished` resolves on the status change.
 */
import { describe, expect, it } from 'vitest';
import { ReleaseStatus } from '../../model/releaseStatus.js';
import { createReleaseBus, type EngineUpdate } from './releaseBus.js';
import { FakeClock } from './testing/fakeClock.js';
import { type World, worldPerTest } from './testing/world.js';
import { threeLevels } from './testing/specs.js';

describe('release bus', () => {
  let w: World;
  worldPerTest((o) => (w = o));

  it('stores an event before publishing it, at the clock’s time, and resolves finished() on the status', async () => {
    const plane = await w.start();
    const rel = await w.finished((await w.deploy(plane, threeLevels('1'), { rollbackPolicy: 'none' })).id);
    const clock = new FakeClock(Date.parse('2030-01-01T00:00:00Z'));
    const bus = createReleaseBus(w.releases, clock);
    const seen: EngineUpdate[] = [];
    const off = bus.subscribe(rel.id, (u) => seen.push(u));
    await bus.record(rel.id, { service: 'web', type: 'Normal', reason: 'Note', message: 'hello' });
    expect(seen).toEqual([
      { type: 'event', event: expect.objectContaining({ reason: 'Note', time: '2030-01-01T00:00:00.000Z' }) },
    ]);
    expect((await w.releases.events(rel.id)).at(-1)).toMatchObject({ reason: 'Note', message: 'hello' });
    off();
    await bus.record(rel.id, { service: null, type: 'Normal', reason: 'Unseen', message: 'x' });
    expect(seen).toHaveLength(1);

    // finished(): an unfinished release resolves when its status changes, not by time passing.
    const next = await w.deploy(plane, threeLevels('2'));
    await w.finished(next.id);
    await w.releases.setStatus(next.id, ReleaseStatus.running);
    let done = false;
    const finished = bus.finished(next.id).then((r) => ((done = true), r));
    await clock.advance(500);
    expect(done).toBe(false);
    await bus.setStatus(next.id, ReleaseStatus.succeeded);
    expect((await finished).status).toBe('succeeded');
  });
});
