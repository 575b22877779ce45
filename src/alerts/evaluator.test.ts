/**
 * The evaluator on a clock the test moves, with its rules in a real SQLite store and its
 * notifications through the real outbox to a real receiver on 127.0.0.1: an error-rate rule fires
 * only after `for`, per service, and resolves; an event rule fires at once; a service that
 * disappears resolves; a replaced rule starts again; failed readings keep the states.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSecretBox } from '../config/secretBox.js';
import { openStore, type Store } from '../store/store.js';
import { ValidationError } from '../errors.js';
import { createEvaluator, evaluationIntervalMs, type Evaluator } from './evaluator.js';
import { createSilences } from './silences.js';
import { createAlertStateStore } from './stateStore.js';
import { createOutbox, type Outbox } from './outbox.js';
import type { Readings } from './readings.js';
import { createAlertRules, type AlertRules } from './ruleStore.js';
import { startReceiver, type Receiver } from './testing.js';

describe('the alert evaluator', () => {
  let home: string;
  let store: Store;
  let rules: AlertRules;
  let outbox: Outbox;
  let receiver: Receiver;
  let evaluator: Evaluator;
  let clock: number;
  let readings: Readings | Error;
  const start = Date.parse('2026-12-06T09:00:00Z');

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'berth-eval-'));
    store = await openStore({ file: path.join(home, 'berth.db') });
    const box = await loadSecretBox(home);
    clock = start;
    rules = createAlertRules(store.db, box, () => new Date(clock));
    outbox = createOutbox({ db: store.db, box, now: () => clock });
    receiver = await startReceiver();
    readings = new Map();
    evaluator = createEvaluator({
      rules,
      outbox,
      now: () => clock,
      read: async () => {
        if (readings instanceof Error) throw readings;
        return readings;
      },
    });
  });
  afterEach(async () => {
    await receiver.close();
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  /** Moves the clock, evaluates, delivers; the notifications the receiver got in this step. */
  async function step(advanceMs: number, r: Readings): Promise<Record<string, unknown>[]> {
    clock += advanceMs;
    readings = r;
    const before = receiver.received.length;
    await evaluator.evaluate();
    await outbox.deliverDue();
    return receiver.received.slice(before).map((x) => JSON.parse(x.body) as Record<string, unknown>);
  }

  const errorRate = (orders: number, web = 0): Readings =>
    new Map([
      [
        'error-rate',
        [
          { service: 'orders', value: orders },
          { service: 'web', value: web },
        ],
      ],
    ]);

  it('fires an error-rate rule once the breach lasted `for`, per service, and resolves it', async () => {
    await rules.put('shop', 'local', 'errors', {
      metric: 'error-rate',
      threshold: 0.05,
      for: '1m',
      severity: 'critical',
      notify: [{ type: 'webhook', url: receiver.url }],
    });
    expect(await step(0, errorRate(0.01))).toEqual([]);
    expect(await step(10_000, errorRate(0.2))).toEqual([]);
    expect(evaluator.instances()).toMatchObject([{ rule: 'errors', service: 'orders', state: { phase: 'pending' } }]);
    expect(await step(30_000, errorRate(0.3))).toEqual([]);
    const fired = await step(30_000, errorRate(0.25));
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      status: 'firing',
      app: 'shop',
      env: 'local',
      rule: 'errors',
      service: 'orders',
      severity: 'critical',
      value: 0.25,
      threshold: 0.05,
      startsAt: new Date(start + 70_000).toISOString(),
    });
    expect(await step(10_000, errorRate(0.4))).toEqual([]);
    const resolved = await step(10_000, errorRate(0.0));
    expect(resolved).toMatchObject([
      {
        status: 'resolved',
        service: 'orders',
        value: 0,
        startsAt: new Date(start + 70_000).toISOString(),
        endsAt: new Date(start + 90_000).toISOString(),
      },
    ]);
    expect(evaluator.instances()).toMatchObject([{ state: { phase: 'resolved' } }]);
    await step(10_000, errorRate(0));
    expect(evaluator.instances()).toEqual([]);
  });

  it('watches one service when the rule names it, and resolves a service that has no reading any more', async () => {
    await rules.put('shop', 'local', 'web-errors', {
      metric: 'error-rate',
      service: 'web',
      threshold: 0.1,
      notify: [{ type: 'webhook', url: receiver.url }],
    });
    expect(await step(0, errorRate(0.9, 0))).toEqual([]);
    expect(await step(1000, errorRate(0.9, 0.5))).toMatchObject([{ status: 'firing', service: 'web' }]);
    // a look that could not measure the metric at all changes nothing
    expect(await step(1000, new Map())).toEqual([]);
    expect(evaluator.instances()).toMatchObject([{ service: 'web', state: { phase: 'firing' } }]);
    expect(await step(1000, new Map([['error-rate', [{ service: 'orders', value: 0.9 }]]]))).toMatchObject([
      { status: 'resolved', service: 'web', value: 0.5 },
    ]);
  });

  it('fires an event rule for the app at once, and resolves it when no event is counted', async () => {
    await rules.put('shop', 'local', 'rollbacks', {
      metric: 'release-rolled-back',
      notify: [{ type: 'webhook', url: receiver.url }],
    });
    const fired = await step(0, new Map([['release-rolled-back', [{ value: 1 }]]]));
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ status: 'firing', rule: 'rollbacks', metric: 'release-rolled-back' });
    expect(fired[0]).not.toHaveProperty('service');
    expect(fired[0]).not.toHaveProperty('value');
    expect(await step(10_000, new Map([['release-rolled-back', [{ value: 0 }]]]))).toMatchObject([
      { status: 'resolved' },
    ]);
  });

  it('keeps the states when the readings fail, and starts a replaced rule again from inactive', async () => {
    await rules.put('shop', 'local', 'errors', {
      metric: 'error-rate',
      threshold: 0.05,
      for: '1m',
      notify: [{ type: 'webhook', url: receiver.url }],
    });
    await step(0, errorRate(0.5));
    expect(evaluator.instances()).toMatchObject([{ state: { phase: 'pending', breachedSince: start } }]);
    readings = new Error('runtime unreachable');
    clock += 30_000;
    await evaluator.evaluate();
    expect(evaluator.instances()).toMatchObject([{ state: { phase: 'pending', breachedSince: start } }]);
    await rules.put('shop', 'local', 'errors', {
      metric: 'error-rate',
      threshold: 0.05,
      for: '1m',
      notify: [{ type: 'webhook', url: receiver.url }],
    });
    expect(await step(40_000, errorRate(0.5))).toEqual([]);
    expect(evaluator.instances()).toMatchObject([{ state: { phase: 'pending', breachedSince: start + 70_000 } }]);
    await rules.delete('shop', 'local', 'errors');
    await step(1000, errorRate(0.5));
    expect(evaluator.instances()).toEqual([]);
  });

  it('goes on after a restart from the states it saved: a firing alert resolves once, with its startsAt, and never fires twice', async () => {
    const saved = createAlertStateStore(store.db);
    const read = async (): Promise<Readings> => readings as Readings;
    const first = createEvaluator({ rules, outbox, now: () => clock, read, states: saved });
    await rules.put('shop', 'local', 'errors', {
      metric: 'error-rate',
      threshold: 0.05,
      notify: [{ type: 'webhook', url: receiver.url }],
    });
    readings = errorRate(0.5);
    await first.evaluate();
    await outbox.deliverDue();
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { status: string }).status)).toEqual(['firing']);
    expect((await saved.all()).map((s) => [s.rule, s.service, s.state.phase])).toEqual([
      ['errors', 'orders', 'firing'],
    ]);

    // A new control plane on the same store: still breached, nothing new is sent.
    const second = createEvaluator({ rules, outbox, now: () => clock, read, states: saved });
    clock += 10_000;
    await second.evaluate();
    await outbox.deliverDue();
    expect(receiver.received).toHaveLength(1);
    // Then the breach ends: it resolves with the startsAt of the first control plane's firing.
    readings = errorRate(0);
    clock += 10_000;
    await second.evaluate();
    await outbox.deliverDue();
    expect(JSON.parse(receiver.received[1]!.body)).toMatchObject({
      status: 'resolved',
      startsAt: new Date(start).toISOString(),
    });
    clock += 10_000;
    await second.evaluate();
    expect(await saved.all()).toEqual([]);
  });

  it('reads its interval from BERTH_ALERT_INTERVAL, and refuses one that is not a duration', () => {
    expect(evaluationIntervalMs(undefined)).toBe(10_000);
    expect(evaluationIntervalMs('500ms')).toBe(500);
    expect(evaluationIntervalMs('1m')).toBe(60_000);
    expect(() => evaluationIntervalMs('soon')).toThrow(ValidationError);
    expect(() => evaluationIntervalMs('10ms')).toThrow(/BERTH_ALERT_INTERVAL/);
  });

  it('sends nothing while a matching silence lasts, and again once it ended', async () => {
    const silences = createSilences(store.db, () => clock);
    const silenced = createEvaluator({
      rules,
      outbox,
      now: () => clock,
      read: async () => readings as Readings,
      silences,
    });
    await rules.put('shop', 'local', 'errors', {
      metric: 'error-rate',
      threshold: 0.05,
      notify: [{ type: 'webhook', url: receiver.url }],
    });
    const s1 = await silences.create('shop', 'local', { rule: 'errors', service: 'orders', for: '1m' }, 'tester');
    await silences.create('shop', 'local', { rule: 'other', for: '1h' }, 'tester');
    readings = errorRate(0.5, 0.5);
    await silenced.evaluate();
    await outbox.deliverDue();
    // orders is silenced, web is not.
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { service: string }).service)).toEqual(['web']);
    expect(silenced.instances().map((i) => [i.service, i.state.phase])).toEqual([
      ['orders', 'firing'],
      ['web', 'firing'],
    ]);
    clock += 60_000;
    expect((await silences.active('shop', 'local')).map((s) => s.rule)).toEqual(['other']);
    readings = errorRate(0, 0);
    await silenced.evaluate();
    await outbox.deliverDue();
    expect(
      receiver.received.slice(1).map((r) => JSON.parse(r.body) as { service: string; status: string }),
    ).toMatchObject([
      { service: 'orders', status: 'resolved' },
      { service: 'web', status: 'resolved' },
    ]);
    await expect(silences.expire('shop', 'local', s1.id)).rejects.toThrow(/no active silence/);
    await expect(silences.create('shop', 'local', { for: '0s' }, 'tester')).rejects.toThrow(/invalid silence/);
  });
});
