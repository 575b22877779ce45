/**
 * Every rule kind the alerts offer fires for real and resolves: the evaluator reads through the
 * control plane's own readings (the runtime's observation and request counters, the releases and
 * job runs in a real SQLite store), and each notification travels through the outbox to a real
 * receiver on 127.0.0.1; the history records each transition and delivery.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEvaluator, type Evaluator } from '../alerts/evaluator.js';
import { createAlertHistory, type AlertHistory } from '../alerts/history.js';
import { createOutbox, type Outbox } from '../alerts/outbox.js';
import { createAlertRules, type AlertRules } from '../alerts/ruleStore.js';
import { startReceiver, type Receiver } from '../alerts/testing.js';
import { loadSecretBox } from '../config/secretBox.js';
import type { ServiceStatus, TrackTraffic } from '../model/observation.js';
import { openStore, type Store } from '../store/store.js';
import { createAlertReadings } from './alertReadings.js';

const BUCKETS = [100, 250, 500, 1000];

/** Cumulative counters of the stable track: `fast` requests under 100 ms, `slow` over 1 s. */
function counters(requests: number, errors: number, fast: number, slow: number): TrackTraffic[] {
  return [
    {
      track: 'stable',
      requests,
      errors,
      latencyBucketsMs: BUCKETS,
      latencyCounts: [fast, 0, 0, 0, slow],
      latencySumMs: fast * 50 + slow * 1500,
    },
  ];
}

describe('every alert rule kind', () => {
  let home: string;
  let store: Store;
  let rules: AlertRules;
  let outbox: Outbox;
  let history: AlertHistory;
  let receiver: Receiver;
  let evaluator: Evaluator;
  let clock: number;
  let status: ServiceStatus;
  let traffic: TrackTraffic[];
  let revision = 0;

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'berth-kinds-'));
    store = await openStore({ file: path.join(home, 'berth.db') });
    const box = await loadSecretBox(home);
    clock = Date.parse('2026-12-06T09:00:00Z');
    rules = createAlertRules(store.db, box, () => new Date(clock));
    outbox = createOutbox({ db: store.db, box, now: () => clock });
    history = createAlertHistory(store.db);
    receiver = await startReceiver();
    status = {
      app: 'shop',
      env: 'local',
      service: 'orders',
      desiredReplicas: 2,
      readyReplicas: 2,
      replicas: [
        { id: 'orders-1', phase: 'ready', hash: 'h', restarts: 0 },
        { id: 'orders-2', phase: 'ready', hash: 'h', restarts: 0 },
      ],
      circuit: { state: 'closed' },
    };
    traffic = counters(100, 0, 100, 0);
    const runtime = {
      observe: async () => ({ services: [structuredClone(status)] }),
      traffic: async () => structuredClone(traffic),
    };
    evaluator = createEvaluator({
      rules,
      outbox,
      history,
      now: () => clock,
      read: createAlertReadings({ runtimeFor: async () => runtime, db: store.db, now: () => new Date(clock) }),
    });
  });
  afterEach(async () => {
    await receiver.close();
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  async function release(kind: 'deploy' | 'rollback', state: 'failed' | 'succeeded') {
    const at = new Date(clock - 1000).toISOString();
    await store.db
      .insertInto('releases')
      .values({
        app: 'shop',
        env: 'local',
        revision: ++revision,
        kind,
        status: state,
        reason: null,
        spec: '{}',
        spec_digest: 'd',
        spec_file: 'berth.yaml',
        config_version: 0,
        rendered: '{}',
        source_revision: null,
        author: 'test',
        message: null,
        started_at: at,
        finished_at: at,
      })
      .execute();
  }

  async function jobRun(state: 'failed' | 'missed') {
    const at = new Date(clock - 1000).toISOString();
    await store.db
      .insertInto('job_runs')
      .values({
        app: 'shop',
        env: 'local',
        service: 'report',
        run_id: `report-${Math.random()}`,
        trigger: 'scheduled',
        status: state,
        due_at: at,
        started_at: state === 'missed' ? null : at,
        ended_at: state === 'missed' ? null : at,
        exit_code: state === 'failed' ? 1 : null,
        reason: null,
        replica: null,
      })
      .execute();
  }

  /** How each kind is caused, and healed; what the firing notification reports. */
  const kinds: [string, Record<string, unknown>, () => Promise<void> | void, () => void, Record<string, unknown>][] = [
    [
      'error-rate',
      { threshold: 0.1 },
      () => void (traffic = counters(200, 50, 200, 0)),
      () => void (traffic = counters(300, 50, 300, 0)),
      { service: 'orders', value: 0.5 },
    ],
    [
      'p99',
      { threshold: 500 },
      () => void (traffic = counters(200, 0, 190, 10)),
      () => void (traffic = counters(300, 0, 290, 10)),
      { service: 'orders', value: 1000 },
    ],
    [
      'restarts',
      { threshold: 0 },
      () => void (status.replicas[1]!.restarts = 2),
      () => undefined,
      { service: 'orders', value: 2 },
    ],
    [
      'unavailable-replicas',
      { threshold: 0 },
      () => void (status.readyReplicas = 1),
      () => void (status.readyReplicas = 2),
      { service: 'orders', value: 1 },
    ],
    [
      'circuit-open',
      {},
      () => void (status.circuit = { state: 'open', reason: '5 failures in a row' }),
      () => void (status.circuit = { state: 'closed' }),
      { service: 'orders' },
    ],
    ['release-failed', {}, () => release('deploy', 'failed'), () => undefined, {}],
    ['release-rolled-back', {}, () => release('rollback', 'succeeded'), () => undefined, {}],
    ['job-failed', {}, () => jobRun('failed'), () => undefined, { service: 'report' }],
    ['cronjob-missed', {}, () => jobRun('missed'), () => undefined, { service: 'report' }],
  ];

  it.each(kinds)('%s fires to a real receiver and resolves', async (metric, extra, cause, heal, reported) => {
    await rules.put('shop', 'local', 'watch', {
      metric,
      ...extra,
      severity: 'critical',
      notify: [{ type: 'webhook', url: `${receiver.url}/${metric}` }],
    });
    // The first look sets where counting begins; a healthy second look fires nothing.
    await evaluator.evaluate();
    clock += 10_000;
    await evaluator.evaluate();
    await outbox.deliverDue();
    expect(receiver.received).toEqual([]);

    clock += 10_000;
    await cause();
    await evaluator.evaluate();
    await outbox.deliverDue();
    expect(receiver.received).toHaveLength(1);
    const fired = JSON.parse(receiver.received[0]!.body) as Record<string, unknown>;
    expect(receiver.received[0]!.url).toBe(`/${metric}`);
    expect(fired).toMatchObject({ status: 'firing', rule: 'watch', metric, severity: 'critical', ...reported });
    if (reported.service === undefined) expect(fired).not.toHaveProperty('service');

    clock += 10_000;
    heal();
    await evaluator.evaluate();
    await outbox.deliverDue();
    expect(receiver.received).toHaveLength(2);
    expect(JSON.parse(receiver.received[1]!.body)).toMatchObject({ status: 'resolved', rule: 'watch', metric });

    const entries = await history.query({ app: 'shop', env: 'local', limit: 10 });
    expect(entries.map((e) => [e.kind, e.status])).toEqual([
      ['delivered', 'resolved'],
      ['resolved', undefined],
      ['delivered', 'firing'],
      ['firing', undefined],
    ]);
  });
});
