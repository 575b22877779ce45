/**
 * Promote, abort and cancel (commands.ts) through the engine: a canary paused for a manual promote
 * goes on when promoted and puts traffic back on stable when aborted (the release fails, coded, and
 * rolls back); a cancel stops a running release; each is refused clearly when there is nothing to
 * act on. The rollout's polls run on the fake clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../errors.js';
import { FakeClock } from './testing/fakeClock.js';
import { ENV, openWorld, type Plane, type World } from './testing/world.js';
import { canary, threeLevels } from './testing/specs.js';

describe('promote, abort and cancel', () => {
  let w: World;
  let clock: FakeClock;
  let plane: Plane;
  beforeEach(async () => {
    w = await openWorld();
    clock = new FakeClock();
    plane = await w.start({ clock });
  });
  afterEach(async () => {
    await w.close();
  });

  const req = { app: 'shop', env: ENV, service: 'web', author: 'ana' };

  /** Deploys canary v1, then v2 up to its manual pause; returns v2 and the hashes. */
  async function pausedCanary() {
    await w.finished((await w.deploy(plane, canary('1'))).id);
    const stable = w.runtime.of('shop', ENV, 'web')!.hash;
    w.runtime.serve('web', { requests: 50 });
    const v2 = await w.deploy(plane, canary('2'));
    // The 50% step passes its analysis (5 s, healthy traffic), then the rollout waits for a promote.
    await w.until(async () => {
      await clock.advance(1_000);
      return (await w.releases.get(v2.id)).steps[0]!.progress?.phaseMessage?.code === 'rollout.waitingForPromote';
    }, 'the manual pause');
    const next = (await w.releases.content(v2.id)).rendered.services.web!.hash;
    return { v2, stable, next };
  }

  it('promotes a paused canary: it goes on to full traffic and replaces stable', async () => {
    const { v2, stable, next } = await pausedCanary();
    expect(w.runtime.of('shop', ENV, 'web')).toMatchObject({
      hash: stable,
      canary: { hash: next },
      traffic: { canaryWeight: 50 },
    });
    // Waiting for promote: time passes, nothing moves.
    await clock.advance(60_000);
    expect((await w.releases.get(v2.id)).status).toBe('running');

    await plane.engine.promote(req);
    // The rollout's next look for commands ends the pause; the 100% step is analysed for 5 s.
    await w.until(async () => {
      await clock.advance(1_000);
      return (await w.releases.get(v2.id)).status !== 'running';
    }, 'the rollout to end');
    const done = await w.releases.get(v2.id);
    expect(done.status).toBe('succeeded');
    expect(w.runtime.of('shop', ENV, 'web')).toEqual(expect.objectContaining({ hash: next }));
    expect(w.runtime.of('shop', ENV, 'web')!.canary).toBeUndefined();
    const weights = w.runtime.calls.flatMap((c) => (c.op === 'converge' && c.canary ? [c.weight] : []));
    // 50%, the 100% step, then the finalize (stable rolled to the new version while the canary takes all).
    expect(weights).toEqual([50, 100, 100]);
    const reasons = (await w.releases.events(v2.id)).map((e) => e.reason);
    expect(reasons).toEqual(
      expect.arrayContaining(['SetWeight', 'Paused', 'PromoteRequested', 'Promoted', 'Promoting']),
    );
  });

  it('aborts a paused canary: traffic back on stable, the release fails as aborted and rolls back', async () => {
    const { v2, stable } = await pausedCanary();
    await plane.engine.abort(req);
    await clock.advance(200);
    const failed = await plane.engine.wait(v2.id);
    expect(failed.status).toBe('failed');
    expect(failed.reasonMessage).toMatchObject({ code: 'release.aborted', params: { service: 'web', by: 'ana' } });
    expect(w.runtime.of('shop', ENV, 'web')).toEqual(expect.objectContaining({ hash: stable }));
    expect(w.runtime.of('shop', ENV, 'web')!.canary).toBeUndefined();
    const rb = await w.releases.byRevision('shop', ENV, 3);
    expect(rb).toMatchObject({ kind: 'auto-rollback', status: 'succeeded', sourceRevision: 1 });
  });

  it('refuses promote and abort when no progressive rollout runs, saying what runs', async () => {
    const none = await plane.engine.promote(req).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(ConflictError);
    expect((none as Error).message).toBe(`nothing to promote: no release of shop is running in ${ENV}`);

    await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    const letWebGo = w.runtime.hold('web');
    const v2 = await w.deploy(plane, threeLevels('2'), { rollbackPolicy: 'none' });
    await w.runtime.converging('web', 2);
    const rolling = await plane.engine.abort(req).catch((e: unknown) => e);
    expect((rolling as Error).message).toBe(
      `nothing to abort: web has no canary, blue-green or A/B rollout running in revision 2 (its step is a rolling update, running); to end revision 2, use \`berth cancel shop -e ${ENV}\``,
    );
    const missing = await plane.engine.promote({ ...req, service: 'nope' }).catch((e: unknown) => e);
    expect((missing as Error).message).toBe('revision 2 of shop has no service nope');
    await plane.engine.cancel({ app: 'shop', env: ENV, author: 'ana' });
    letWebGo();
    await plane.engine.wait(v2.id);
  });

  it('cancels a running release: it fails as cancelled naming what it rolled out, and rolls back', async () => {
    await w.finished((await w.deploy(plane, threeLevels('1'))).id);
    const letApiGo = w.runtime.hold('api');
    const v2 = await w.deploy(plane, threeLevels('2'));
    await w.runtime.converging('api', 2);
    const wrong = await plane.engine
      .cancel({ app: 'shop', env: ENV, author: 'ana', revision: 7 })
      .catch((e: unknown) => e);
    expect((wrong as Error).message).toBe(`revision 7 of shop is not running in ${ENV} (revision 2 is)`);

    const asked = await plane.engine.cancel({ app: 'shop', env: ENV, author: 'ana', revision: 2 });
    expect(asked.cancelRequest).toMatchObject({ by: 'ana', at: new Date(clock.now()).toISOString() });
    letApiGo(); // the rollback's api may get ready
    const failed = await plane.engine.wait(v2.id);
    expect(failed.reasonMessage).toMatchObject({
      code: 'release.cancelledRollingOut',
      params: { by: 'ana', services: 'api' },
    });
    expect((await w.releases.byRevision('shop', ENV, 3)).kind).toBe('auto-rollback');
    const again = await plane.engine.cancel({ app: 'shop', env: ENV, author: 'ana' }).catch((e: unknown) => e);
    expect((again as Error).message).toBe(`nothing to cancel: no release of shop is running in ${ENV}`);
  });
});
