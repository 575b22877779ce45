/**
 * The alert evaluator: every interval it reads each rule's metric for its app and environment,
 * steps each alert instance's state machine (one per service the metric has readings for, or one
 * for the app) and, when one fires or resolves, writes a notification to the outbox for the rule's
 * channels. A measured metric is breached above its threshold; an event metric whenever it counted
 * one. An instance whose service has no reading any more counts as not breached, so it resolves.
 */
import type { Logger } from 'pino';
import { ValidationError } from '../errors.js';
import { parseDurationMs } from '../spec/units.js';
import { INACTIVE, nextState, type AlertState } from './alertState.js';
import type { Notification } from './notification.js';
import type { Outbox } from './outbox.js';
import type { Readings } from './readings.js';
import type { Silences } from './silences.js';
import type { AlertStateStore } from './stateStore.js';
import type { AlertHistory, NewHistoryEntry } from './history.js';
import { MEASURED_METRICS, type AlertRule } from './rule.js';

export interface EvaluatorOptions {
  rules: { all(): Promise<AlertRule[]> };
  /** The readings of an app in an environment now. */
  read(app: string, env: string): Promise<Readings>;
  outbox: Pick<Outbox, 'enqueue'>;
  /** Silences: a notification due while one matches is not sent. */
  silences?: Pick<Silences, 'silenced'>;
  /** Where each transition is recorded (and pruned, at most once a minute). */
  history?: Pick<AlertHistory, 'record' | 'prune'>;
  /** Where the states are kept across restarts; in memory only when absent. */
  states?: AlertStateStore;
  /** Epoch ms; injectable so tests control time. */
  now?: () => number;
  /** Time between evaluations when started. Default 10 s. */
  intervalMs?: number;
  logger?: Pick<Logger, 'warn'>;
}

/** An alert instance as the API shows it. */
export interface AlertInstance {
  app: string;
  env: string;
  rule: string;
  service?: string;
  state: AlertState;
}

export interface Evaluator {
  /** One evaluation of every rule. */
  evaluate(): Promise<void>;
  /** The instances that are pending, firing or just resolved. */
  instances(): AlertInstance[];
  start(): void;
  stop(): Promise<void>;
}

const measured = new Set<string>(MEASURED_METRICS);

/** The default time between evaluations. */
export const DEFAULT_INTERVAL_MS = 10_000;

/** The evaluation interval from `BERTH_ALERT_INTERVAL` (`10s`, `500ms`); the default when unset. */
export function evaluationIntervalMs(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_INTERVAL_MS;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < 100)
    throw new ValidationError('invalid BERTH_ALERT_INTERVAL', [
      {
        file: 'environment',
        path: 'BERTH_ALERT_INTERVAL',
        message: `"${text}" is not a duration of at least 100ms (e.g. 10s)`,
      },
    ]);
  return ms;
}

/** The key of an app-wide instance (a release event has no service). */
const APP_WIDE = '';

interface Tracked {
  /** The rule's updatedAt when the state began: a replaced rule starts again from inactive. */
  version: string;
  state: AlertState;
}

export function createEvaluator(o: EvaluatorOptions): Evaluator {
  const now = o.now ?? Date.now;
  const intervalMs = o.intervalMs ?? DEFAULT_INTERVAL_MS;
  /** app\0env\0rule → service (or APP_WIDE) → state. */
  const states = new Map<string, Map<string, Tracked>>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let loaded = false;
  let prunedAt = -Infinity;

  /** Takes up the states a previous control plane saved, once. */
  async function load(): Promise<void> {
    if (loaded || !o.states) return;
    for (const saved of await o.states.all()) {
      const key = `${saved.app}\0${saved.env}\0${saved.rule}`;
      const tracked = states.get(key) ?? new Map<string, Tracked>();
      tracked.set(saved.service, { version: saved.ruleVersion, state: saved.state });
      states.set(key, tracked);
    }
    loaded = true;
  }

  const ruleKey = (r: AlertRule): string => `${r.app}\0${r.env}\0${r.name}`;

  function notification(r: AlertRule, service: string, s: AlertState, status: Notification['status']): Notification {
    return {
      status,
      app: r.app,
      env: r.env,
      rule: r.name,
      metric: r.metric,
      severity: r.severity,
      ...(service !== APP_WIDE ? { service } : {}),
      labels: r.labels,
      ...(r.summary !== undefined ? { summary: r.summary } : {}),
      ...(measured.has(r.metric) && s.value !== undefined ? { value: s.value } : {}),
      ...(r.threshold !== undefined ? { threshold: r.threshold } : {}),
      startsAt: new Date(s.firedAt ?? now()).toISOString(),
      ...(status === 'resolved' && s.resolvedAt !== undefined ? { endsAt: new Date(s.resolvedAt).toISOString() } : {}),
    };
  }

  async function evaluateRule(r: AlertRule, readings: Readings, nowMs: number): Promise<void> {
    // Not measured this look (the traffic could not be read): the rule's alerts keep their states.
    if (!readings.has(r.metric)) return;
    const key = ruleKey(r);
    const tracked = states.get(key) ?? new Map<string, Tracked>();
    states.set(key, tracked);
    const values = new Map<string, number>();
    for (const reading of readings.get(r.metric) ?? []) {
      const service = reading.service ?? APP_WIDE;
      if (r.service !== undefined && service !== r.service) continue;
      values.set(service, Math.max(values.get(service) ?? 0, reading.value));
    }
    for (const service of new Set([...values.keys(), ...tracked.keys()])) {
      const value = values.get(service);
      const breached = value !== undefined && (measured.has(r.metric) ? value > (r.threshold ?? Infinity) : value > 0);
      const before = tracked.get(service);
      const state = before && before.version === r.updatedAt ? before.state : INACTIVE;
      const step = nextState(state, { breached, ...(value !== undefined ? { value } : {}), nowMs, forMs: r.for });
      // The notification first, then the state: a kill between the two sends it twice, never not at all.
      // A pending alert whose breach ended before `for` goes back to inactive without a notification.
      const kind =
        step.transition ??
        (before?.state.phase === 'pending' && step.state.phase === 'inactive' ? 'cleared' : undefined);
      if (kind !== undefined) {
        const at = new Date(nowMs).toISOString();
        const entry: NewHistoryEntry = {
          app: r.app,
          env: r.env,
          rule: r.name,
          ...(service !== APP_WIDE ? { service } : {}),
          kind,
          at,
          ...(step.state.value !== undefined ? { value: step.state.value } : {}),
          ...(step.state.firedAt !== undefined ? { startsAt: new Date(step.state.firedAt).toISOString() } : {}),
        };
        const entries = [entry];
        if (kind === 'firing' || kind === 'resolved') {
          const n = notification(r, service, step.state, kind);
          if (!(await o.silences?.silenced(n, nowMs))) await o.outbox.enqueue(n, r.notify);
          else entries.push({ ...entry, kind: 'silenced', status: kind });
        }
        await o.history?.record(entries);
      }
      const id = { app: r.app, env: r.env, rule: r.name, service };
      if (step.state.phase === 'inactive') {
        tracked.delete(service);
        if (before) await o.states?.remove(id);
      } else {
        tracked.set(service, { version: r.updatedAt, state: step.state });
        if (before?.state.phase !== step.state.phase || before.version !== r.updatedAt)
          await o.states?.save({ ...id, ruleVersion: r.updatedAt, state: step.state });
      }
    }
  }

  async function evaluate(): Promise<void> {
    await load();
    const rules = await o.rules.all();
    const live = new Set(rules.map(ruleKey));
    for (const key of [...states.keys()]) {
      if (live.has(key)) continue;
      states.delete(key);
      const [app, env, rule] = key.split('\0') as [string, string, string];
      await o.states?.remove({ app, env, rule });
    }
    const byTarget = new Map<string, AlertRule[]>();
    for (const r of rules) {
      const target = `${r.app}\0${r.env}`;
      byTarget.set(target, [...(byTarget.get(target) ?? []), r]);
    }
    for (const group of byTarget.values()) {
      const { app, env } = group[0]!;
      let readings: Readings;
      try {
        readings = await o.read(app, env);
      } catch (err) {
        // Nothing measured is not "no breach": keep every state as it is until a reading comes.
        o.logger?.warn({ err, app, env }, 'alert readings failed; states kept');
        continue;
      }
      const nowMs = now();
      for (const r of group) await evaluateRule(r, readings, nowMs);
    }
    if (o.history && now() - prunedAt >= 60_000) {
      prunedAt = now();
      await o.history.prune(prunedAt);
    }
  }

  const tick = (): void => {
    if (stopped) return;
    running = evaluate()
      .catch((err: unknown) => o.logger?.warn({ err }, 'alert evaluation failed'))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };

  return {
    evaluate,
    instances() {
      const out: AlertInstance[] = [];
      for (const [key, tracked] of states) {
        const [app, env, rule] = key.split('\0') as [string, string, string];
        for (const [service, t] of tracked)
          out.push({ app, env, rule, ...(service !== APP_WIDE ? { service } : {}), state: t.state });
      }
      return out;
    },
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
