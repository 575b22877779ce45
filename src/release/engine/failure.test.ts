/** Why a release failed (failure.ts): the error's own code, or the stop (cancel, timeout) and what it was rolling out. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeError, TimeoutError } from '../../errors.js';
import { message } from '../../model/messages.js';
import { StepStatus } from '../../model/releaseStatus.js';
import { cancelledError, failureReason } from './failure.js';
import { openWorld, type World } from './testing/world.js';
import { threeLevels } from './testing/specs.js';

describe('failure reason', () => {
  let w: World;
  let id: number;
  beforeEach(async () => {
    w = await openWorld();
    const plane = await w.start();
    id = (await w.finished((await w.deploy(plane, threeLevels('1'))).id)).id;
  });
  afterEach(async () => {
    await w.close();
  });

  const stopped = (reason: unknown): AbortSignal => {
    const ac = new AbortController();
    ac.abort(reason);
    return ac.signal;
  };

  it('keeps the code of a coded error, and codes an uncoded one as release.failed', async () => {
    const m = message('release.aborted', { service: 'web', by: 'ana' });
    const coded = Object.assign(new RuntimeError(m.text), { reasonMessage: m });
    expect(await failureReason(w.releases, id, coded, [])).toMatchObject({ code: 'release.aborted' });
    expect(await failureReason(w.releases, id, new Error('boom'), [undefined])).toMatchObject({
      code: 'release.failed',
      params: { error: 'boom' },
    });
  });

  it('names the stop and the services it was rolling out', async () => {
    const cancel = cancelledError({ by: 'ana', at: '2026-01-01T00:00:00Z' });
    // Nothing failed yet: the stop alone.
    expect(await failureReason(w.releases, id, cancel, [stopped(cancel)])).toMatchObject({
      code: 'release.cancelled',
      params: { by: 'ana' },
    });
    await w.releases.setStep(id, 'api', StepStatus.failed, cancel.message);
    expect(await failureReason(w.releases, id, cancel, [stopped(cancel)])).toMatchObject({
      code: 'release.cancelledRollingOut',
      params: { by: 'ana', services: 'api' },
    });
    // A stop without a code of its own still names the services.
    const plain = new TimeoutError('took too long');
    expect(await failureReason(w.releases, id, plain, [stopped(plain)])).toMatchObject({
      code: 'release.stoppedRollingOut',
      params: { services: 'api' },
    });
    // An error that is not the stop's says both.
    expect(await failureReason(w.releases, id, new Error('disk full'), [stopped(cancel)])).toMatchObject({
      code: 'release.stoppedWith',
      params: { error: 'disk full' },
    });
  });
});
