/**
 * The runtime conformance kit (src/runtime/conformance/): the behaviour every Runtime must show.
 * Each runtime's `conformance.test.ts` calls `runtimeConformance` with its setup.
 */
export { runtimeConformance } from './conformance/kit.js';
export type { ConformanceSetup, ServingView, StateOptions, VolumeView } from './conformance/kit.js';
