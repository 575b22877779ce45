/**
 * Running one release to its end: level by level (a level starts when the previous one is ready),
 * each service converged by the runtime or rolled out progressively, then the routes, then the
 * services no longer in the app pruned. A release ends succeeded or failed, never silently: it
 * fails when a service fails, when its timeout (stored with it, counted from its start, resumes
 * included) passes, or when an operator cancels it; a failure then rolls back per its policy.
 */
import { BerthError, ConflictError, TimeoutError, toBerthError } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';
import type { RuntimeEvent } from '../model/observation.js';
import type { ServiceState } from '../model/serviceState.js';
import type { Track } from '../model/routing.js';
import { hasOwnKey } from '../own.js';
import { message as coded, messageOf, said, type Message, type ReasonCode } from '../model/messages.js';
import type { RenderedService } from './rendered.js';
import { runProgressive } from './progressive.js';
import type { CancelRequest, Release } from './releases.js';
import { ReleaseKind, ReleaseStatus, StepStatus } from '../model/releaseStatus.js';
import type { ReleaseBus } from './releaseBus.js';
import type { EngineRenderer } from './engineRender.js';
import type { EngineDeps } from './engineTypes.js';
import type { Operation } from './operationLock.js';

export interface ExecuteContext {
  deps: EngineDeps;
  bus: ReleaseBus;
  renderer: EngineRenderer;
  /** Aborted when the control plane stops: a release interrupted so stays running and is resumed on start. */
  closing: AbortSignal;
}

/** Runs `first`, then the automatic rollback its failure starts, each to its end, under `op`. */
export async function runOperation(ctx: ExecuteContext, op: Operation, first: Release): Promise<void> {
  let next: Release | undefined = first;
  while (next) next = await execute(ctx, op, next);
}

/** The reason a cancelled release fails with. */
export function cancelledError(c: CancelRequest): ConflictError {
  const m = coded('release.cancelled', { by: c.by });
  return Object.assign(new ConflictError(m.text), { reasonMessage: m });
}

/** `5s`, `90s`, `10m`: a timeout as a person wrote it. */
function durationText(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 120 && s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

/** An abort signal for the release's timeout, counted from when it started (so a resumed release keeps its deadline). */
function deadlineOf(release: Release): { signal: AbortSignal; clear(): void } | undefined {
  const timeoutMs = release.options.timeoutMs;
  if (timeoutMs === undefined) return undefined;
  const startedMs = Date.parse(release.startedAt ?? release.createdAt);
  const ac = new AbortController();
  const m = coded('release.timedOut', { duration: durationText(timeoutMs) });
  const timer = setTimeout(
    () => ac.abort(Object.assign(new TimeoutError(m.text), { reasonMessage: m })),
    Math.max(0, startedMs + timeoutMs - Date.now()),
  );
  return { signal: ac.signal, clear: () => clearTimeout(timer) };
}

/** Executes one release; returns the auto-rollback release to run next, if one was created. */
async function execute(ctx: ExecuteContext, op: Operation, given: Release): Promise<Release | undefined> {
  const { releases, logger } = ctx.deps;
  const { bus } = ctx;
  const id = given.id;
  // Registered before the release is read again: a cancel is either in the row read below or
  // aborts this controller (engine.cancel stores the request first, then aborts).
  const cancel = new AbortController();
  op.release = given;
  op.cancel = cancel;
  const release =
    given.status === ReleaseStatus.pending ? await bus.setStatus(id, ReleaseStatus.running) : await releases.get(id);
  op.release = release;
  if (release.cancelRequest && !cancel.signal.aborted) cancel.abort(cancelledError(release.cancelRequest));
  const deadline = deadlineOf(release);
  const signal = AbortSignal.any([ctx.closing, cancel.signal, ...(deadline ? [deadline.signal] : [])]);
  const onEvent = (e: RuntimeEvent): void => void onRuntimeEvent(ctx, id, e);
  try {
    await bus.record(id, {
      service: null,
      type: 'Normal',
      reason: given.status === ReleaseStatus.running ? 'Resumed' : 'Started',
      ...said(
        coded('event.started', {
          kind: coded(`kind.${release.kind}`),
          app: release.app,
          revision: release.revision,
          env: release.env,
          timeout:
            release.options.timeoutMs === undefined
              ? ''
              : coded('event.timeout', { duration: durationText(release.options.timeoutMs) }),
        }),
      ),
    });
    const runtime = await ctx.deps.runtimeFor(release.env);
    if (signal.aborted) throw signal.reason;
    if (release.kind === ReleaseKind.down) {
      await runtime.remove(release.app, release.env);
    } else {
      const { content, result: rendered0 } = await ctx.renderer.renderStored(release);
      const { rendered } = rendered0;
      const states = await ctx.renderer.keepAutoscaled(content.spec, release.env, rendered0.states, runtime);
      const stable = await ctx.renderer.keepAutoscaled(
        content.spec,
        release.env,
        await ctx.renderer.stableStates(release),
        runtime,
      );
      for (const [level, names] of rendered.levels.entries()) {
        await bus.record(id, {
          service: null,
          type: 'Normal',
          reason: 'Level',
          ...said(coded('event.level', { level, services: names.join(', ') })),
        });
        await runLevel(
          ctx,
          id,
          runtime,
          names.map((n) => ({
            state: states[n]!,
            ...(stable[n] && stable[n].hash !== states[n]!.hash && rendered.services[n]!.strategy
              ? { stable: stable[n], strategy: rendered.services[n]!.strategy }
              : {}),
          })),
          release.steps,
          signal,
        );
      }
      if (signal.aborted) throw signal.reason;
      await runtime.applyRoutes(
        { app: release.app, env: release.env, routes: rendered.routes, edge: rendered0.edge },
        { signal, onEvent },
      );
      const observed = await runtime.observe(release.app, release.env);
      for (const s of observed.services) {
        if (!hasOwnKey(rendered.services, s.service)) {
          await bus.record(id, {
            service: s.service,
            type: 'Normal',
            reason: 'Pruned',
            ...said(coded('event.pruned', { service: s.service })),
          });
          await runtime.remove(release.app, release.env, s.service);
        }
      }
    }
    await bus.setStatus(id, ReleaseStatus.succeeded);
    await bus.record(id, {
      service: null,
      type: 'Normal',
      reason: 'Succeeded',
      ...said(coded('event.live', { revision: release.revision })),
    });
    return undefined;
  } catch (err) {
    if (ctx.closing.aborted) throw err; // shutting down: the release stays running and is resumed on start
    const why = await failureReason(ctx, id, err, [cancel.signal, deadline?.signal]);
    const reason = why.text;
    await bus.setStatus(id, ReleaseStatus.failed, why);
    await bus.record(id, { service: null, type: 'Warning', reason: 'Failed', ...said(why) });
    logger.info({ app: release.app, env: release.env, revision: release.revision, reason }, 'release failed');
    return autoRollback(ctx, release, why);
  } finally {
    deadline?.clear();
    if (op.cancel === cancel) op.cancel = undefined;
  }
}

/**
 * Why a release failed: the error, or, when it was stopped (cancelled, timed out), why it was
 * stopped and which services it was rolling out then.
 */
async function failureReason(
  ctx: ExecuteContext,
  id: number,
  err: unknown,
  stops: (AbortSignal | undefined)[],
): Promise<Message> {
  const message = toBerthError(err).message;
  const stop = stops.find((s) => s?.aborted);
  // A failure that says why with a code keeps it (a rollout aborted by someone, a failed analysis).
  if (!stop) return messageOf(err) ?? coded('release.failed', { error: message });
  const why = toBerthError(stop.reason).message;
  const whyMessage = messageOf(stop.reason) ?? why;
  if (!message.includes(why))
    return coded('release.stoppedWith', { why: whyMessage, error: messageOf(err) ?? message });
  const services = (await ctx.deps.releases.get(id)).steps
    .filter((s) => s.status === StepStatus.failed)
    .map((s) => s.service)
    .join(', ');
  const stopped = messageOf(stop.reason); // release.cancelled or release.timedOut, from the stop's signal
  const rollingOut = stopped && WHILE_ROLLING_OUT.get(stopped.code);
  if (services && stopped && rollingOut) return coded(rollingOut, { ...stopped.params, services });
  if (services) return coded('release.stoppedRollingOut', { why: whyMessage, services });
  return stopped ?? coded('release.failed', { error: why });
}

/** A stop's reason, and the same naming the services it was rolling out. */
const WHILE_ROLLING_OUT = new Map<ReasonCode, ReasonCode>([
  ['release.cancelled', 'release.cancelledRollingOut'],
  ['release.timedOut', 'release.timedOutRollingOut'],
]);

async function runLevel(
  ctx: ExecuteContext,
  id: number,
  runtime: Runtime,
  services: { state: ServiceState; stable?: ServiceState; strategy?: RenderedService['strategy'] }[],
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
        const onEvent = (e: RuntimeEvent): void => void onRuntimeEvent(ctx, id, e);
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
  if (failures.length > 0)
    // one failure that says why with a code keeps it (a rollout aborted by someone, a failed analysis)
    throw Object.assign(
      new BerthError('RUNTIME', failures.join('; ')),
      failures.length === 1 && codedFailures.length === 1 ? { reasonMessage: codedFailures[0] } : {},
    );
}

/** A runtime event's message as the release keeps it: with its replica in front when it does not name it. */
function eventMessage(e: RuntimeEvent): { message: string; detail?: Message } {
  const named = !e.replica || e.message.includes(e.replica);
  if (e.detail) return said(named ? e.detail : coded('event.ofReplica', { replica: e.replica!, message: e.detail }));
  return { message: named ? e.message : `${e.replica}: ${e.message}` };
}

async function onRuntimeEvent(ctx: ExecuteContext, id: number, e: RuntimeEvent): Promise<void> {
  try {
    await ctx.bus.record(id, {
      time: e.time,
      service: e.service,
      type: e.type,
      reason: e.reason,
      ...eventMessage(e),
    });
  } catch (err) {
    ctx.deps.logger.warn({ err }, 'could not record a runtime event');
  }
}

async function autoRollback(ctx: ExecuteContext, failed: Release, reason: Message): Promise<Release | undefined> {
  const { releases } = ctx.deps;
  if (failed.rollbackPolicy !== 'auto' || failed.kind === ReleaseKind.autoRollback || failed.kind === ReleaseKind.down)
    return undefined;
  const good = await releases.lastGood(failed.app, failed.env, failed.revision);
  if (!good) {
    await ctx.bus.record(failed.id, {
      service: null,
      type: 'Warning',
      reason: 'NoRollback',
      ...said(coded('event.noRollback')),
    });
    return undefined;
  }
  const content = await releases.content(good.id);
  const rb = await releases.create({
    app: failed.app,
    env: failed.env,
    kind: ReleaseKind.autoRollback,
    spec: content.spec,
    specDigest: good.specDigest,
    specFile: good.specFile,
    configVersion: good.configVersion,
    rendered: content.rendered,
    sourceRevision: good.revision,
    rollbackPolicy: 'none',
    author: 'berth',
    message: coded('revision.autoRollback', { revision: failed.revision, reason }),
  });
  await ctx.bus.record(failed.id, {
    service: null,
    type: 'Warning',
    reason: 'RollingBack',
    ...said(coded('event.rollingBack', { target: good.revision, revision: rb.revision })),
  });
  return rb;
}
