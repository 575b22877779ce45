/** What running a release needs from the engine: its deps, its event bus, its renderer, its clock. */
import type { EngineRenderer } from '../engineRender.js';
import type { EngineClock } from './clock.js';
import type { EngineDeps } from './engineTypes.js';
import type { ReleaseBus } from './releaseBus.js';

export interface ExecuteContext {
  deps: EngineDeps;
  bus: ReleaseBus;
  renderer: EngineRenderer;
  clock: EngineClock;
  /** Aborted when the control plane stops: a release interrupted so stays running and is resumed on start. */
  closing: AbortSignal;
}
