import { describe, expect, it } from 'vitest';
import { startRenderWarmup, type RenderWarmup, type RenderWarmupState } from './renderWarmup.js';
import { ManifestMemo } from '../runtime/kubernetes/manifests/manifestMemo.js';
import { fixtureInput } from '../runtime/kubernetes/manifests/testdata/fixture.js';

/** Polls the warm-up until it leaves `running` (a deadline, not a sleep). */
async function settled(w: RenderWarmup): Promise<RenderWarmupState> {
  const deadline = Date.now() + 60_000;
  while (w.state() === 'running' && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  return w.state();
}

describe('render warm-up', () => {
  it('renders the sample app in the background and says when it is done', async () => {
    const logged: { msg: string; fields: Record<string, unknown> }[] = [];
    const w = startRenderWarmup({ log: (msg, fields) => logged.push({ msg, fields }), env: {} });
    // Nothing runs in the caller's turn: the API answers first.
    expect(w.state()).toBe('running');
    expect(logged).toEqual([]);
    expect(await settled(w)).toBe('done');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.msg).toBe('render path warmed');
    expect(logged[0]!.fields.cpuMs).toEqual(expect.any(Number));
  });

  it('is off with BERTH_RENDER_WARMUP=0 and stops before its next step when asked', async () => {
    expect(startRenderWarmup({ env: { BERTH_RENDER_WARMUP: '0' } }).state()).toBe('off');
    const w = startRenderWarmup({ env: {} });
    w.stop();
    expect(await settled(w)).toBe('stopped');
  });

  it('leaves the render as it is: an app renders byte for byte the same before and after a warm-up', async () => {
    // Another app than the warm-up's (the manifests' fixture), rendered with a memo of its own each time.
    const render = () => new ManifestMemo().render(fixtureInput().manifest).documents.join('---\n');
    const before = render();
    expect(before).toContain('kind: Deployment');
    expect(await settled(startRenderWarmup({ env: {} }))).toBe('done');
    expect(render()).toBe(before);
  });
});
