/**
 * Resume after a crash (resume.ts), at every step: a control plane is killed right after its n-th
 * store write or runtime call of an operation (the Crash stops it there: its effect kept, nothing
 * after it done), and a new control plane started over the same store and the same running
 * services finishes the operation. For every n: the release finishes exactly once, with the outcome
 * of an uninterrupted run, and nothing is rolled out twice.
 */
import { describe, expect, it } from 'vitest';
import type { Release } from '../releases.js';
import { Crash } from './testing/crash.js';
import { settle } from './testing/fakeClock.js';
import { ENV, type World, openWorld, worldPerTest } from './testing/world.js';
import { threeLevels } from './testing/specs.js';

const SERVICES = ['db', 'api', 'web'] as const;

describe('resume after a crash at each step', () => {
  let w: World;
  worldPerTest((o) => (w = o));

  /** Revision 1 (v1) deployed and running; returns its hashes. */
  async function runningV1(): Promise<Record<string, string>> {
    const p = await w.start();
    await w.finished((await w.deploy(p, threeLevels('1'))).id);
    await p.engine.close();
    return hashes();
  }
  const hashes = (): Record<string, string> =>
    Object.fromEntries(SERVICES.map((s) => [s, w.runtime.of('shop', ENV, s)!.hash]));
  const revisions = async () =>
    (await w.releases.list('shop', ENV, 10)).reverse().map((r: Release) => [r.revision, r.kind, r.status]);
  const rolloutsSince = (n: number) => w.runtime.rollouts.slice(n).map((r) => `${r.service}@${r.hash}`);

  /**
   * Runs the v1 → v2 deploy with a plane that dies after `crashAt` steps (never, when Infinity),
   * then, if it died, starts another plane and lets it finish. Returns the steps the dying plane took.
   */
  async function deployV2(crashAt: number, failApi: boolean) {
    const v1 = await runningV1();
    const rolloutsBefore = w.runtime.rollouts.length;
    const crash = new Crash();
    const a = await w.start({ crash });
    // Its start-up resync of revision 1 (routes, three converges) done, the crash counts the deploy's steps.
    await w.until(() => crash.count === 4, 'the start-up resync');
    crash.reset().at(crashAt);
    if (failApi)
      w.runtime.fail('api', 'readiness probe failed', { when: (state) => state.workload.env.VERSION === '2' });
    void w.deploy(a, threeLevels('2')).catch(() => undefined); // a dying plane never answers
    const v2 = await firstOf(2);
    const ended = (): Promise<boolean> => outcomeReached(failApi);
    await w.until(async () => crash.crashed || (await ended()), `plane 1 to crash at step ${crashAt}`);
    if (crash.crashed) {
      const b = await w.start();
      await w.until(ended, `plane 2 to finish what plane 1 left at step ${crashAt} (${crash.log.at(-1)})`);
      await settle(50); // anything more it would (wrongly) do, done
      await b.engine.close();
    }
    return { v1, rolloutsBefore, crash, v2 };
  }

  /** Revision `revision` once it is recorded, with its content. */
  async function firstOf(revision: number) {
    let content;
    await w.until(async () => {
      const found = (await w.releases.list('shop', ENV, 10)).find((r) => r.revision === revision);
      if (!found) return false;
      content = await w.releases.content(found.id);
      return true;
    }, `revision ${revision}`);
    return content!;
  }

  async function outcomeReached(failApi: boolean): Promise<boolean> {
    const list = await w.releases.list('shop', ENV, 10);
    const last = list[0]!;
    if (!failApi) return last.revision === 2 && last.status === 'succeeded';
    return last.revision === 3 && last.status === 'succeeded';
  }

  it('a deploy that succeeds finishes exactly once, whatever step the control plane died at', async () => {
    // The steps of an uninterrupted run.
    const whole = (await deployV2(Infinity, false)).crash;
    const steps = whole.count;
    expect(steps).toBeGreaterThan(10);
    expect(whole.log).toContain('converge web');

    for (let k = 1; k <= steps; k++) {
      await w.close();
      w = await openWorld();
      const { v1, rolloutsBefore, crash, v2: content } = await deployV2(k, false);
      const want = Object.fromEntries(SERVICES.map((s) => [s, content.rendered.services[s]!.hash]));
      const at = `crash after step ${k} (${crash.log.at(-1)})`;
      expect(crash.crashed, at).toBe(true);
      expect(await revisions(), at).toEqual([
        [1, 'deploy', 'succeeded'],
        [2, 'deploy', 'succeeded'],
      ]);
      // Each service rolled to v2 once: a converge after the restart found it done.
      const v2 = hashes();
      for (const s of SERVICES) expect(v2[s], at).not.toBe(v1[s]);
      expect(v2, at).toEqual(want);
      expect(rolloutsSince(rolloutsBefore).sort(), at).toEqual(SERVICES.map((s) => `${s}@${v2[s]}`).sort());
      const rel = await w.releases.byRevision('shop', ENV, 2);
      const succeeded = (await w.releases.events(rel.id)).filter((e) => e.reason === 'Succeeded');
      // The status and its event are two writes: a crash between them loses the event, never doubles it.
      expect(succeeded.length, at).toBe(crash.log.at(-1) === 'setStatus' && k === steps - 1 ? 0 : 1);
    }
  }, 120_000);

  it('a deploy that fails is rolled back exactly once, whatever step the control plane died at', async () => {
    const whole = (await deployV2(Infinity, true)).crash;
    const steps = whole.count;
    expect(await revisions()).toEqual([
      [1, 'deploy', 'succeeded'],
      [2, 'deploy', 'failed'],
      [3, 'auto-rollback', 'succeeded'],
    ]);

    // A crash between the failure and its rollback's revision once lost the rollback: every step is recovered.
    const lost: string[] = [];
    for (let k = 1; k <= steps; k++) {
      await w.close();
      w = await openWorld();
      const run = await deployV2(k, true).catch((e: unknown) => {
        lost.push(`step ${k}: ${(e as Error).message}`);
        return undefined;
      });
      if (!run) continue;
      const { v1, crash, rolloutsBefore, v2 } = run;
      const at = `crash after step ${k} (${crash.log.at(-1)})`;
      expect(await revisions(), at).toEqual([
        [1, 'deploy', 'succeeded'],
        [2, 'deploy', 'failed'],
        [3, 'auto-rollback', 'succeeded'],
      ]);
      expect(hashes(), at).toEqual(v1);
      // db went to v2 and back once; api never got ready at v2; web was never touched.
      expect(rolloutsSince(rolloutsBefore).sort(), at).toEqual(
        [`db@${v2.rendered.services.db!.hash}`, `db@${v1.db}`].sort(),
      );
    }
    expect(lost).toEqual([]);
  }, 120_000);
});
