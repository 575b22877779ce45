import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceShape } from '../runtime/kubernetes/manifests/contract.js';
import { startHarness, testState, type KubeHarness } from '../runtime/kubernetes/testing/harness.js';
import { createEnvironments } from '../environment/environments.js';
import { openStore, type Store } from '../store/store.js';
import { runProgressive } from './progressive.js';
import { Releases, type StepProgress } from './releases.js';
import { createStoredRelease } from './testing/storedRelease.js';

/** Releases that count the progress writes of a rollout. */
class CountingReleases extends Releases {
  writes = 0;
  override async setProgress(id: number, service: string, progress: StepProgress): Promise<void> {
    this.writes++;
    return super.setProgress(id, service, progress);
  }
}

const SPEC = 'name: shop\nservices:\n  web:\n    image: registry.example/web\n    ports: [80]\n';
const canaryShape: ServiceShape = { kind: 'service', stateful: false, placement: 'replicated', progressive: {} };

describe('a progressive rollout waiting for data', () => {
  let h: KubeHarness;
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    h = await startHarness();
    dir = await mkdtemp(join(tmpdir(), 'berth-progressive-'));
    store = await openStore({ file: join(dir, 'berth.db') });
  });
  afterEach(async () => {
    await h.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes its progress when a check says something new, not at every inconclusive interval', async () => {
    const rt = h.open({ describeService: async () => ({ shape: canaryShape }) });
    const stable = testState({ app: 'shop', env: 'prod', service: 'web', replicas: 1, hash: 'a1' });
    const next = testState({ app: 'shop', env: 'prod', service: 'web', replicas: 1, hash: 'b2', revision: 2 });
    const signal = AbortSignal.timeout(20_000);
    await rt.converge(stable, { signal, onEvent: () => undefined });
    await createEnvironments(store.db).create({ name: 'prod' });
    const releases = new CountingReleases(store.db);
    const rel = await createStoredRelease(releases, { spec: SPEC, env: 'prod', revision: 2 });
    const stop = new AbortController();
    const run = runProgressive(
      {
        runtime: rt,
        releases,
        releaseId: rel.id,
        record: async () => undefined,
        onEvent: () => undefined,
        signal: stop.signal,
        pollMs: 5,
      },
      stable,
      next,
      {
        type: 'canary',
        steps: [{ weight: 50 }],
        analysis: { intervalMs: 20, minRequests: 1, onNoData: 'wait', maxErrorRate: 0.05 },
      },
    ).catch((e: unknown) => e);
    // The cluster cannot measure: the step waits, one inconclusive check every 20 ms.
    await new Promise((r) => setTimeout(r, 1500));
    stop.abort(new Error('test over'));
    await run;
    const waited = (await releases.get(rel.id)).steps[0]!.progress!;
    expect(waited.phase).toBe('waiting: the kubernetes runtime measures no per-track traffic');
    expect(waited.checks?.at(-1)).toMatchObject({ verdict: 'inconclusive', scope: 'step' });
    // About 70 checks: a handful of writes (step start, first checks, the wait), not one per check.
    expect(releases.writes).toBeLessThan(10);
  }, 30_000);
});
