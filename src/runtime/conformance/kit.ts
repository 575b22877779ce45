/**
 * The runtime conformance kit: the behaviour every Runtime must show, in terms of the Runtime
 * interface and a ConformanceSetup, so the local runtime (processes, containers) and the Kubernetes
 * runtime run the same tests. One file per behaviour; where a runtime cannot serve requests (an API
 * server without nodes) the kit asserts what its objects say instead (ServingView).
 *
 *   runtimeConformance('local', async () => ({ runtime, makeState, newInstance, running, serving, volume, teardown }));
 */
import { afterEach, beforeEach, describe } from 'vitest';
import { basicTests } from './basics.js';
import { KitContext } from './context.js';
import { failingRolloutTests } from './failingRollout.js';
import { readoptionTests } from './readoption.js';
import { routeTests } from './routes.js';
import { scaleTests } from './scale.js';
import type { ConformanceSetup } from './setup.js';
import { trafficSplitTests } from './trafficSplit.js';
import { volumeTests } from './volumes.js';

export type { ConformanceSetup, ServingView, StateOptions, VolumeView } from './setup.js';

/** Registers the conformance tests of a runtime. */
export function runtimeConformance(name: string, setup: () => Promise<ConformanceSetup>): void {
  describe(`runtime conformance: ${name}`, () => {
    const k = new KitContext();
    beforeEach(async () => {
      k.set(await setup());
    });
    afterEach(async () => {
      const s = k.s;
      k.set(undefined);
      await s.teardown();
    });
    basicTests(k);
    describe('routes', () => routeTests(k));
    describe('traffic split', () => trafficSplitTests(k));
    describe('scale', () => scaleTests(k));
    describe('failing rollout', () => failingRolloutTests(k));
    describe('re-adoption', () => readoptionTests(k));
    describe('volumes', () => volumeTests(k));
  });
}
