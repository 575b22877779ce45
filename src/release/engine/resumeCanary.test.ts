/**
 * Resume of a progressive rollout after a crash at each step (resume.ts with progressive.ts): a
 * canary (50% analysed, a 2 s pause, 100%, finalize) whose control plane dies after its n-th
 * store write or runtime call is finished by the next one from the step it had recorded: the
 * release succeeds once, the canary track and the stable track are each rolled to the new version
 * once, and no canary is left behind.
 */
import { describe, expect, it } from 'vitest';
import { Crash } from './testing/crash.js';
import { FakeClock } from './testing/fakeClock.js';
import { ENV, type World, openWorld, worldPerTest } from './testing/world.js';
import { timedCanary } from './testing/specs.js';

describe('resume of a canary after a crash at each step', () => {
  let w: World;
  worldPerTest((o) => (w = o));

  const v2Done = async (): Promise<boolean> => {
    const [last] = await w.releases.list('shop', ENV, 1);
    return last?.revision === 2 && last.status !== 'running' && last.status !== 'pending';
  };

  /** Moves `clock` half a second at a time until `stop` holds (at most a minute of its time). */
  async function runClock(clock: FakeClock, stop: () => Promise<boolean> | boolean): Promise<void> {
    for (let i = 0; i < 120 && !(await stop()); i++) await clock.advance(500);
  }

  async function canaryV2(crashAt: number) {
    const p = await w.start();
    await w.finished((await w.deploy(p, timedCanary('1'))).id);
    await p.engine.close();
    const before = w.runtime.rollouts.length;
    w.runtime.serve('web', { requests: 50 });
    const crash = new Crash();
    const clock = new FakeClock();
    const a = await w.start({ crash, clock });
    await w.until(() => crash.count === 2, 'the start-up resync'); // routes, web
    crash.reset().at(crashAt);
    void w.deploy(a, timedCanary('2')).catch(() => undefined); // a dying plane never answers
    await runClock(clock, async () => crash.crashed || (await v2Done()));
    if (crash.crashed) {
      const next = new FakeClock();
      await w.start({ clock: next });
      await runClock(next, v2Done);
    }
    return { crash, rollouts: w.runtime.rollouts.slice(before) };
  }

  it('finishes the rollout exactly once from where it stood', async () => {
    const steps = (await canaryV2(Infinity)).crash.count;
    expect(steps).toBeGreaterThan(10);
    for (let k = 1; k <= steps; k++) {
      await w.close();
      w = await openWorld();
      const { crash, rollouts } = await canaryV2(k);
      const at = `crash after step ${k} (${crash.log.at(-1)})`;
      const revisions = (await w.releases.list('shop', ENV, 10)).map((r) => [r.revision, r.status]);
      expect(revisions, at).toEqual([
        [2, 'succeeded'],
        [1, 'succeeded'],
      ]);
      const v2 = (await w.releases.content((await w.releases.byRevision('shop', ENV, 2)).id)).rendered.services.web!;
      expect(w.runtime.of('shop', ENV, 'web'), at).toEqual(expect.objectContaining({ hash: v2.hash }));
      expect(w.runtime.of('shop', ENV, 'web')!.canary, at).toBeUndefined();
      expect(rollouts.map((r) => `${r.track}@${r.hash}`).sort(), at).toEqual([
        `canary@${v2.hash}`,
        `stable@${v2.hash}`,
      ]);
    }
  }, 120_000);
});
