/**
 * One level (levels.ts): its services converge together; a level fails as a whole (the first
 * failure aborts the others, each step says how it ended), and a single coded failure keeps its
 * code while several are joined.
 */
import { describe, expect, it } from 'vitest';
import { RolloutAborted } from '../progressive.js';
import { message } from '../../model/messages.js';
import { ENV, type World, worldPerTest } from './testing/world.js';

const TWO_AT_ONCE = `name: shop
services:
  a:
    command: node a.js
    ports: [8081]
  b:
    command: node b.js
    ports: [8082]
  c:
    command: node c.js
    ports: [8083]
    dependsOn: [a, b]
`;

describe('a level', () => {
  let w: World;
  worldPerTest((o) => (w = o));

  it('converges its services together and fails as a whole: a failure stops the rest of the level', async () => {
    const plane = await w.start();
    w.runtime.hold('b'); // b would never get ready on its own
    w.runtime.fail('a', 'exit code 3');
    const rel = await w.deploy(plane, TWO_AT_ONCE, { rollbackPolicy: 'none' });
    const done = await w.finished(rel.id);
    expect(done.status).toBe('failed');
    const steps = Object.fromEntries(done.steps.map((s) => [s.service, [s.level, s.status]]));
    expect(steps).toEqual({ a: [0, 'failed'], b: [0, 'failed'], c: [1, 'pending'] });
    // b was converging beside a (same level) and was stopped by a's failure.
    expect(
      w.runtime.calls
        .filter((c) => c.op === 'converge')
        .map((c) => c.op === 'converge' && c.service)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(done.reason).toContain('exit code 3');
  });

  it("keeps the code of a level's single coded failure (an aborted rollout)", async () => {
    const plane = await w.start();
    const m = message('release.aborted', { service: 'a', by: 'ana' });
    w.runtime.fail('a', Object.assign(new RolloutAborted(m.text), { reasonMessage: m }));
    const rel = await w.deploy(plane, TWO_AT_ONCE, { rollbackPolicy: 'none' });
    const done = await w.finished(rel.id);
    expect(done.reasonMessage).toMatchObject({ code: 'release.aborted', params: { service: 'a', by: 'ana' } });
    expect(done.steps.find((s) => s.service === 'a')!.messageDetail).toMatchObject({ code: 'release.aborted' });
    expect(w.runtime.of('shop', ENV, 'c')).toBeUndefined();
  });
});
