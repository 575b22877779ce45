/** One level of a release: the services that start together once the previous level is ready. */
import { BerthError, toBerthError, UnavailableError } from '../../errors.js';
import { message as coded, messageOf, type Message } from '../../model/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { Track } from '../../model/routing.js';
import { runProgressive } from '../progressive.js';
import type { RenderedService } from '../rendered.js';
import type { Release } from '../releases.js';
import { StepStatus } from '../../model/releaseStatus.js';
import { sleep } from './clock.js';
import type { ExecuteContext } from './context.js';
import { recordRuntimeEvent } from './runtimeEvents.js';

/** A service of a level: its desired state, and the stable state and strategy of a progressive rollout. */
export interface LevelService {
  state: ServiceState;
  stable?: ServiceState;
  strategy?: RenderedService['strategy'];
}

/**
 * Runs one level of a release: its services converged (or rolled out progressively) together. A
 * level fails as a whole: the first failure aborts its other services, each step records how it
 * ended, and the error names every failure (keeping the code of a single coded one).
 */
export async function runLevel(
  ctx: ExecuteContext,
  id: number,
  runtime: Runtime,
  services: LevelService[],
  steps: Release['steps'],
  signal: AbortSignal,
): Promise<void> {
  const { releases } = ctx.deps;
  const levelAbort = new AbortController();
  const both = AbortSignal.any([signal, levelAbort.signal]);
  const failures: string[] = [];
  const codedFailures: Message[] = [];
  await Promise.all(
    services.map(async ({ state, stable, strategy }) => {
      const step = steps.find((s) => s.service === state.service);
      await releases.setStep(
        id,
        state.service,
        StepStatus.running,
        step?.status === StepStatus.succeeded ? coded('step.resumed') : undefined,
      );
      try {
        const onEvent = (e: RuntimeEvent): void => void recordRuntimeEvent(ctx, id, e);
        if (stable && strategy) {
          const autoscaled = ctx.deps.autoscaledReplicas;
          await runProgressive(
            {
              runtime,
              releases,
              releaseId: id,
              record: (e) => ctx.bus.record(id, e),
              onEvent,
              signal: both,
              now: () => ctx.clock.now(),
              sleep: (ms) => sleep(ctx.clock, ms, both),
              ...(autoscaled
                ? { autoscaled: (track: Track) => autoscaled(state.app, state.env, state.service, track) }
                : {}),
            },
            stable,
            state,
            strategy,
            step?.progress,
          );
        } else await runtime.converge(state, { signal: both, onEvent });
        await releases.setStep(
          id,
          state.service,
          StepStatus.succeeded,
          state.run?.kind === 'job' ? coded('step.jobCompleted') : coded('step.ready', { replicas: state.replicas }),
        );
      } catch (err) {
        // shutting down: the step stays running, as the release does, and the resume carries it on
        if (ctx.closing.aborted) return;
        const message = toBerthError(err).message;
        failures.push(message);
        const withCode = messageOf(err);
        if (withCode) codedFailures.push(withCode);
        // the step keeps the code when it says the same as the error (the CLI prints the text)
        await releases.setStep(id, state.service, StepStatus.failed, withCode?.text === message ? withCode : message);
        levelAbort.abort(); // a level fails as a whole; the next level never starts
      }
    }),
  );
  if (ctx.closing.aborted) throw new UnavailableError('the control plane is stopping');
  if (failures.length > 0)
    // one failure that says why with a code keeps it (a rollout aborted by someone, a failed analysis)
    throw Object.assign(
      new BerthError('RUNTIME', failures.join('; ')),
      failures.length === 1 && codedFailures.length === 1 ? { reasonMessage: codedFailures[0] } : {},
    );
}
