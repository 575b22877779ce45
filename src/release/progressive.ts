/**
 * The progressive rollout of one service (canary, blue-green, A/B): the new version runs as a
 * second track beside the stable one and the engine moves traffic to it step by step, checking its
 * error rate and latency (analysis) and obeying promote/abort commands on the way. Every step starts
 * with a record of where the rollout stands, so a restarted control plane resumes at the same step.
 *
 * A step that sends the new version traffic passes only on a passing check over the whole step; a
 * step with too few requests to judge waits or fails (analysis `onNoData`), and no data never
 * promotes. Every check is kept in the step's progress on the release.
 *
 * When every step has passed, the rollout finalizes: the stable track is rolled to the new version
 * while the canary takes all traffic, then traffic returns to stable and the canary goes. Any
 * failure (a check, an abort command, a canary that never gets ready) first puts all traffic back on
 * the old stable track and removes the canary, then fails the service with the reason and numbers.
 */
import { RuntimeError, toBerthError } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';
import type { CanaryTrack, ServiceState } from '../model/serviceState.js';
import type { RuntimeEvent, TrackTraffic } from '../model/observation.js';
import type { Track, TrafficMatch } from '../model/routing.js';
import type { Strategy } from '../spec/strategy.js';
import { analyse, intervalOf, NO_TRAFFIC, withCheck, type AnalysisCheck, type AnalysisResult } from './analysis.js';
import type { Releases, StepProgress } from './releases.js';
import { message, messageOf, said } from '../model/messages.js';
import type { Message } from '../model/messages.js';

type Progressive = Exclude<Strategy, { type: 'rolling' }>;

const NO_TRAFFIC_CANARY: TrackTraffic = { ...NO_TRAFFIC, track: 'canary' };

/** One step of a rollout plan. */
type Phase =
  | { kind: 'weight'; weight: number; replicas: number; match?: TrafficMatch }
  | { kind: 'pause'; ms: number }
  | { kind: 'manual' };

/** What the driver needs from the engine. */
export interface ProgressiveContext {
  runtime: Runtime;
  releases: Releases;
  releaseId: number;
  /** Records a release event. */
  record(e: {
    service: string;
    type: 'Normal' | 'Warning';
    reason: string;
    message: string;
    detail?: Message;
  }): Promise<void>;
  onEvent(e: RuntimeEvent): void;
  signal: AbortSignal;
  now?: () => number;
  /** How often commands are looked for while waiting. */
  pollMs?: number;
  /** Waits `ms`, or less when `signal` aborts (the engine's clock); real time when absent. */
  sleep?: (ms: number) => Promise<void>;
  /** The autoscaler's count for a track of an autoscaled service, if it keeps one. */
  autoscaled?: (track: Track) => number | undefined;
}

/** Thrown when the rollout was aborted (by a check or a person); the stable track serves again. */
export class RolloutAborted extends RuntimeError {}

/** A RolloutAborted that says why with a message code (kept on the failed release). */
function aborted(m: Message): RolloutAborted {
  return Object.assign(new RolloutAborted(m.text), { reasonMessage: m });
}

/** The steps a strategy takes for a service of `replicas` replicas. */
export function phasesOf(strategy: Progressive, replicas: number): Phase[] {
  const share = (weight: number): number => Math.max(1, Math.ceil((replicas * weight) / 100));
  switch (strategy.type) {
    case 'canary': {
      const phases: Phase[] = strategy.steps.map((s) =>
        'weight' in s
          ? { kind: 'weight', weight: s.weight, replicas: share(s.weight) }
          : 'pauseMs' in s
            ? { kind: 'pause', ms: s.pauseMs }
            : { kind: 'manual' },
      );
      const last = [...phases].reverse().find((p) => p.kind === 'weight');
      if (!last || last.weight !== 100) phases.push({ kind: 'weight', weight: 100, replicas: share(100) });
      return phases;
    }
    case 'blueGreen':
      return [
        { kind: 'weight', weight: 0, replicas: share(100) },
        ...(strategy.autoPromote ? [] : [{ kind: 'manual' } as const]),
        { kind: 'weight', weight: 100, replicas: share(100) },
        ...(strategy.keepOldForMs > 0 ? [{ kind: 'pause', ms: strategy.keepOldForMs } as const] : []),
      ];
    case 'abTest':
      return [
        { kind: 'weight', weight: 0, replicas: share(50), match: strategy.match },
        strategy.durationMs === undefined ? { kind: 'manual' } : { kind: 'pause', ms: strategy.durationMs },
      ];
  }
}

function phaseMessage(p: Phase): Message {
  if (p.kind === 'weight')
    return p.match
      ? message('rollout.match', { match: matchText(p.match) })
      : message('rollout.weight', { weight: p.weight });
  if (p.kind === 'pause') return message('rollout.pause', { seconds: Math.round(p.ms / 1000) });
  return message('rollout.waitingForPromote');
}

function matchText(m: TrafficMatch): string {
  return 'header' in m ? `header ${m.header}: ${m.value}` : `cookie ${m.cookie}=${m.value}`;
}

/**
 * Rolls `next` out beside `stable` (what runs now) following `strategy`. Resolves once the new
 * version is the only one left; rejects with RolloutAborted (or the runtime's error) after putting
 * the stable track back. `resume` is the progress recorded before a restart.
 */
export async function runProgressive(
  ctx: ProgressiveContext,
  stable: ServiceState,
  next: ServiceState,
  strategy: Progressive,
  resume?: StepProgress,
): Promise<void> {
  const now = ctx.now ?? Date.now;
  const service = next.service;
  const phases = phasesOf(strategy, next.replicas);
  const analysis = strategy.analysis;
  let weight = 0;
  let replicas = 0;
  let match: TrafficMatch | undefined;

  // A step sizes the canary at least to its share of traffic; an autoscaler may keep it bigger.
  const track = (): CanaryTrack => ({
    revision: next.revision,
    configVersion: next.configVersion,
    hash: next.hash,
    replicas: Math.max(replicas, ctx.autoscaled?.('canary') ?? 0),
    workload: next.workload,
  });
  const converge = (state: ServiceState): Promise<void> =>
    ctx.runtime.converge(state, { signal: ctx.signal, onEvent: ctx.onEvent });
  const both = (): ServiceState => ({
    ...stable,
    replicas: ctx.autoscaled?.('stable') ?? stable.replicas,
    canary: track(),
    traffic: { canaryWeight: weight, ...(match ? { match } : {}) },
  });
  // Why the last reading of the traffic failed, while it does (a runtime whose source cannot answer).
  let readFailure: Message | undefined;
  let readError = '';
  // Checks of earlier steps survive a restart with the progress they are kept in.
  let checks: AnalysisCheck[] = resume?.checks ?? [];
  let last: StepProgress | undefined;
  let phaseIndex = 0;
  const progress = async (step: number, phase: Message, startedAt = new Date(now()).toISOString()): Promise<void> => {
    last = {
      strategy: strategy.type,
      step,
      of: phases.length,
      weight,
      phase: phase.text,
      phaseMessage: phase,
      stepStartedAt: startedAt,
    };
    await progressNow();
  };
  const progressNow = async (): Promise<void> => {
    if (last) await ctx.releases.setProgress(ctx.releaseId, service, { ...last, ...(checks.length ? { checks } : {}) });
  };

  // Replays the weight steps before the resumed one, so the tracks are as they were.
  const start = resume && resume.strategy === strategy.type ? Math.min(resume.step, phases.length) : 0;
  for (const p of phases.slice(0, start))
    if (p.kind === 'weight') ({ weight, replicas, match } = { weight: p.weight, replicas: p.replicas, match: p.match });

  try {
    let full = false;
    for (let i = start; i < phases.length && !full; i++) {
      const p = phases[i]!;
      phaseIndex = i;
      const resumed = i === start && resume !== undefined && resume.step === i;
      const startedAt = resumed ? resume.stepStartedAt : new Date(now()).toISOString();
      if (p.kind === 'weight') {
        weight = p.weight;
        replicas = p.replicas;
        match = p.match;
        await progress(i, phaseMessage(p), startedAt);
        await ctx.record({
          service,
          type: 'Normal',
          reason: 'SetWeight',
          ...said(
            message('event.setWeight', {
              step: i + 1,
              of: phases.length,
              hash: next.hash.slice(0, 8),
              phase: phaseMessage(p),
              replicas,
            }),
          ),
        });
        await converge(both());
        // A step that sends traffic is checked (over at least one interval) before the next one.
        if (analysis && (weight > 0 || match)) full = await hold(analysis.intervalMs, Date.parse(startedAt), false);
      } else {
        await progress(i, phaseMessage(p), startedAt);
        await ctx.record({
          service,
          type: 'Normal',
          reason: 'Paused',
          ...said(
            analysis && (weight > 0 || match)
              ? message('event.pausedChecking', {
                  step: i + 1,
                  of: phases.length,
                  phase: phaseMessage(p),
                  intervalMs: analysis.intervalMs,
                })
              : message('event.paused', { step: i + 1, of: phases.length, phase: phaseMessage(p) }),
          ),
        });
        full = await hold(p.kind === 'pause' ? p.ms : undefined, Date.parse(startedAt), true);
      }
    }

    // A rollout resumed while finalizing may have finished it already (the canary gone, stable on
    // the new version): starting a canary again to hand traffic over would replace replicas twice.
    const finalized = resume?.step === phases.length && (await runsOnlyNext());
    await progress(phases.length, message('rollout.finalizing'));
    await ctx.record({
      service,
      type: 'Normal',
      reason: 'Promoting',
      ...said(message('event.promoting', { hash: next.hash.slice(0, 8) })),
    });
    weight = 100;
    replicas = next.replicas;
    match = undefined;
    if (!finalized) await converge({ ...next, canary: track(), traffic: { canaryWeight: 100 } });
    await converge(next);
  } catch (err) {
    if (ctx.signal.aborted) throw err; // shutting down: resumed on the next start
    const e = toBerthError(err);
    await ctx.record({
      service,
      type: 'Warning',
      reason: 'Aborted',
      ...said(message('event.rolloutAborted', { error: messageOf(err) ?? e.message, hash: stable.hash.slice(0, 8) })),
    });
    await converge(stable);
    throw err instanceof RolloutAborted
      ? err
      : aborted(message('release.rolloutFailed', { service, error: e.message }));
  }

  /**
   * Waits `ms` (undefined: until promoted) checking the canary every analysis interval and acting
   * on commands. Resolves true for a full promotion (skip the remaining steps).
   *
   * A step that sends the new version traffic ends only on a passing verdict over the whole step:
   * with fewer than `minRequests` requests it is inconclusive and, per `onNoData`, waits (promote
   * ends the wait, like a manual pause) or fails. No data never promotes, and neither does a
   * runtime that cannot measure per-track traffic.
   */
  async function hold(ms: number | undefined, startedMs: number, promotable: boolean): Promise<boolean> {
    const step = phaseIndex;
    const measured = analysis && (weight > 0 || match) ? analysis : undefined;
    // A runtime without per-track counters (Kubernetes) cannot judge a step: every step check is
    // inconclusive and follows onNoData like a step without enough requests.
    const unmeasured = ctx.runtime.traffic ? undefined : ctx.runtime.kind;
    let stepStart = measured ? await reading() : undefined;
    // A step whose first reading failed (Prometheus down) starts at the first reading that comes.
    let startUnread = measured !== undefined && !stepStart && readFailure !== undefined;
    let baseline = stepStart;
    let nextCheckMs = now() + (measured?.intervalMs ?? Infinity);
    let waiting: Message | undefined;
    for (;;) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
      const cmd = await ctx.releases.takeCommand(ctx.releaseId, service);
      if (cmd?.kind === 'abort') throw aborted(message('release.aborted', { service, by: cmd.by }));
      if (cmd?.kind === 'promoteFull') {
        await ctx.record({
          service,
          type: 'Normal',
          reason: 'Promoted',
          ...said(message('event.promotedFully', { by: cmd.by })),
        });
        return true;
      }
      if (cmd?.kind === 'promote' && (promotable || waiting)) {
        const promoted = waiting
          ? message('event.promotedWaiting', { by: cmd.by, phase: waiting })
          : message('event.promoted', { by: cmd.by });
        await ctx.record({ service, type: 'Normal', reason: 'Promoted', ...said(promoted) });
        return false;
      }
      const timeUp = ms !== undefined && now() - startedMs >= ms;
      if (measured && (now() >= nextCheckMs || (timeUp && !waiting))) {
        const current = await reading();
        const at = new Date(now()).toISOString();
        const noReading = current ? undefined : readFailure;
        if (current && startUnread) {
          stepStart = baseline = current;
          startUnread = false;
        } else if (noReading && !timeUp) {
          await check({
            ...analyse(NO_TRAFFIC_CANARY, measured),
            message: noReading.text,
            messageDetail: noReading,
            verdict: 'inconclusive',
            at,
            step,
            weight,
            scope: 'interval',
          });
        } else if (current) {
          const interval = intervalOf(baseline?.canary, current.canary);
          // Without a header match, weight w% of all requests should have reached the new version.
          const stable = intervalOf(baseline?.stable, current.stable).requests;
          const expected = !match && weight > 0 && weight < 100 ? (stable * weight) / (100 - weight) : undefined;
          const result = analyse(interval, measured, expected);
          // At the step's end the step verdict below says it with the same or more numbers.
          if (result.verdict === 'fail' || !timeUp) await check({ ...result, at, step, weight, scope: 'interval' });
          if (result.verdict === 'fail')
            throw aborted(
              message('release.analysisFailed', { service, weight, error: result.messageDetail ?? result.message }),
            );
          baseline = current;
        }
        nextCheckMs = now() + measured.intervalMs;
        if (timeUp) {
          const total = current
            ? intervalOf(stepStart?.canary, current.canary)
            : { ...NO_TRAFFIC, track: 'canary' as const };
          const noMeasure = unmeasured ? message('analysis.unmeasured', { runtime: unmeasured }) : noReading;
          const result: AnalysisResult = noMeasure
            ? {
                ...analyse(total, measured),
                verdict: 'inconclusive',
                message: noMeasure.text,
                messageDetail: noMeasure,
              }
            : analyse(total, measured);
          await check({ ...result, at, step, weight, scope: 'step' });
          if (result.verdict === 'pass') return false;
          if (result.verdict === 'fail')
            throw aborted(
              message('release.analysisFailedOverStep', {
                service,
                weight,
                error: result.messageDetail ?? result.message,
              }),
            );
          const counts = { requests: result.requests, minRequests: measured.minRequests };
          if ((measured.onNoData ?? 'wait') === 'fail')
            throw aborted(
              unmeasured
                ? message('release.notMeasured', { service, weight, runtime: unmeasured })
                : noReading
                  ? message('release.noReading', { service, weight, error: readError })
                  : message('release.noVerdict', { service, weight, ...counts }),
            );
          const why = unmeasured
            ? message('rollout.waitingUnmeasured', { runtime: unmeasured })
            : noReading
              ? message('rollout.waitingForReading', { error: readError })
              : message('rollout.waitingForData', counts);
          // Said once per reason: a wait for a reading that came goes on as a wait for requests.
          if (waiting?.code !== why.code) {
            waiting = why;
            await progress(step, waiting, new Date(startedMs).toISOString());
            await ctx.record({
              service,
              type: 'Warning',
              reason: 'WaitingForData',
              ...said(
                message(unmeasured ? 'event.waitingUnmeasured' : 'event.waitingForData', {
                  step: step + 1,
                  of: phases.length,
                  phase: waiting,
                }),
              ),
            });
          }
        }
      } else if (timeUp && !measured) return false;
      const untilCheck = measured ? Math.max(10, nextCheckMs - now()) : Infinity;
      const untilEnd = ms === undefined || waiting ? Infinity : Math.max(10, startedMs + ms - now());
      await sleep(Math.min(ctx.pollMs ?? 200, untilCheck, untilEnd));
    }
  }

  /** Keeps a check on the release (in the step's progress) and records it as an event. */
  async function check(c: AnalysisCheck): Promise<void> {
    const before = checks.at(-1);
    checks = withCheck(checks, c);
    // A wait for data repeats one inconclusive check: kept once (with repeats), recorded once, and
    // written to the store only when its numbers change (the next write carries the count).
    const repeat = (checks.at(-1)?.repeats ?? 1) > 1;
    if (repeat && before?.message === c.message) return;
    await progressNow();
    if (repeat) return;
    await ctx.record({
      service,
      type: c.verdict === 'fail' ? 'Warning' : 'Normal',
      reason: 'Analysis',
      ...said(
        message(c.scope === 'step' ? 'event.analysisStep' : 'event.analysis', {
          verdict: message(`verdict.${c.verdict}`),
          result: c.messageDetail ?? c.message,
        }),
      ),
    });
  }

  /** Whether the runtime runs the new version alone: stable on its hash, no canary track. */
  async function runsOnlyNext(): Promise<boolean> {
    const observed = await ctx.runtime.observe(next.app, next.env).catch(() => undefined);
    const s = observed?.services.find((o) => o.service === service);
    return s?.hash === next.hash && !s.tracks?.some((t) => t.track === 'canary');
  }

  /**
   * The tracks' counters now; undefined while the runtime has none for both tracks, or when its
   * source cannot answer (then `readFailure` says why: a check without a reading is inconclusive).
   */
  async function reading(): Promise<{ stable: TrackTraffic; canary: TrackTraffic } | undefined> {
    let tracks: TrackTraffic[] | undefined;
    try {
      tracks = await ctx.runtime.traffic?.(next.app, next.env, service);
      readFailure = undefined;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      readError = toBerthError(err).message;
      readFailure = message('analysis.noReading', { error: readError });
      return undefined;
    }
    const stable = tracks?.find((t) => t.track === 'stable');
    const canary = tracks?.find((t) => t.track === 'canary');
    return stable && canary ? { stable, canary } : undefined;
  }

  function sleep(ms: number): Promise<void> {
    if (ctx.sleep) return ctx.sleep(ms);
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      ctx.signal.addEventListener('abort', done, { once: true });
      function done(): void {
        clearTimeout(t);
        ctx.signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
