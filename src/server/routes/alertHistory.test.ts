/**
 * GET …/alerts/history through fastify's inject() on real SQLite stores: the evaluator records an
 * alert's pending, firing and resolved transitions and a notification a silence dropped; the route
 * answers them newest first, filtered by rule, service, time range and limit, and refuses a time it
 * cannot read naming the field.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluator } from '../../alerts/evaluator.js';
import { createAlertHistory } from '../../alerts/history.js';
import type { Readings } from '../../alerts/readings.js';
import { openStore, type Store } from '../../store/store.js';
import { testApi, type TestApi } from '../testing/apiContext.js';

const base = '/api/v1/apps/shop/envs/local/alerts';

describe('the alert history route', () => {
  let t: TestApi;
  let home: string;
  let store: Store;
  beforeAll(async () => {
    t = await testApi();
    home = await mkdtemp(path.join(os.tmpdir(), 'berth-history-route-'));
    store = await openStore({ file: path.join(home, 'berth.db') });
    t.ctx.alertHistory = createAlertHistory(store.db);
  });
  afterAll(async () => {
    await t?.close();
    await store?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('answers the transitions of the alerts, filtered, and names a bad time', async () => {
    let clock = Date.now() + 1000;
    let readings: Readings = new Map();
    const evaluator = createEvaluator({
      rules: t.ctx.alertRules,
      read: async () => readings,
      outbox: { enqueue: async () => [] },
      silences: t.ctx.silences,
      history: createAlertHistory(store.db),
      now: () => clock,
    });
    const put = (name: string, body: unknown) => t.request({ method: 'PUT', url: `${base}/rules/${name}`, body });
    expect((await put('errors', { metric: 'error-rate', threshold: 0.1, for: '30s' })).statusCode).toBe(201);
    expect((await put('down', { metric: 'unavailable-replicas', threshold: 0 })).statusCode).toBe(201);
    const silenced = await t.request({ method: 'POST', url: `${base}/silences`, body: { rule: 'down', for: '1h' } });
    expect(silenced.statusCode).toBe(201);

    readings = new Map([
      ['error-rate', [{ service: 'orders', value: 0.5 }]],
      ['unavailable-replicas', [{ service: 'web', value: 1 }]],
    ]);
    await evaluator.evaluate();
    clock += 30_000;
    await evaluator.evaluate();
    clock += 10_000;
    readings = new Map([
      ['error-rate', [{ service: 'orders', value: 0 }]],
      ['unavailable-replicas', []],
    ]);
    await evaluator.evaluate();

    const all = await t.request({ method: 'GET', url: `${base}/history` });
    expect(all.statusCode).toBe(200);
    const start = new Date(clock - 40_000).toISOString();
    const fired = new Date(clock - 10_000).toISOString();
    expect(
      all.json<Record<string, unknown>[]>().map(({ rule, service, kind, value, status, startsAt }) => ({
        rule,
        service,
        kind,
        value,
        status,
        startsAt,
      })),
    ).toEqual([
      { rule: 'errors', service: 'orders', kind: 'resolved', value: 0, status: undefined, startsAt: fired },
      { rule: 'down', service: 'web', kind: 'silenced', value: 1, status: 'resolved', startsAt: start },
      { rule: 'down', service: 'web', kind: 'resolved', value: 1, status: undefined, startsAt: start },
      { rule: 'errors', service: 'orders', kind: 'firing', value: 0.5, status: undefined, startsAt: fired },
      { rule: 'errors', service: 'orders', kind: 'pending', value: 0.5, status: undefined, startsAt: undefined },
      { rule: 'down', service: 'web', kind: 'silenced', value: 1, status: 'firing', startsAt: start },
      { rule: 'down', service: 'web', kind: 'firing', value: 1, status: undefined, startsAt: start },
    ]);

    const kinds = async (query: string) =>
      (await t.request({ method: 'GET', url: `${base}/history?${query}` }))
        .json<{ kind: string }[]>()
        .map((e) => e.kind);
    expect(await kinds('rule=errors')).toEqual(['resolved', 'firing', 'pending']);
    expect(await kinds('service=web&limit=2')).toEqual(['silenced', 'resolved']);
    expect(await kinds(`since=${encodeURIComponent(fired)}&rule=errors`)).toEqual(['resolved', 'firing']);
    expect(await kinds(`until=${encodeURIComponent(start)}`)).toEqual(['pending', 'silenced', 'firing']);
    expect(await kinds('since=1h&rule=errors')).toHaveLength(3);
    expect(await kinds('until=1m')).toEqual([]);

    const bad = await t.request({ method: 'GET', url: `${base}/history?since=yesterday&until=2026-01-01` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ problems: { path: string; message: string }[] }>().problems).toEqual([
      expect.objectContaining({ path: 'since', message: expect.stringContaining('"yesterday" is not a time') }),
    ]);
    const backwards = await t.request({ method: 'GET', url: `${base}/history?since=1h&until=2h` });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json<{ problems: { path: string }[] }>().problems.map((p) => p.path)).toEqual(['until']);
    const limit = await t.request({ method: 'GET', url: `${base}/history?limit=0` });
    expect(limit.statusCode).toBe(400);
  });

  it('records a pending alert whose breach ended before `for` as cleared, with no notification', async () => {
    let clock = Date.now() + 120_000;
    let readings: Readings = new Map([['p99', [{ service: 'web', value: 900 }]]]);
    const sent: unknown[] = [];
    const evaluator = createEvaluator({
      rules: t.ctx.alertRules,
      read: async () => readings,
      outbox: { enqueue: async (n) => (sent.push(n), []) },
      history: createAlertHistory(store.db),
      now: () => clock,
    });
    const put = await t.request({
      method: 'PUT',
      url: `${base}/rules/slow`,
      body: { metric: 'p99', threshold: 500, for: '1m' },
    });
    expect(put.statusCode).toBe(201);
    await evaluator.evaluate();
    clock += 10_000;
    readings = new Map([['p99', [{ service: 'web', value: 80 }]]]);
    await evaluator.evaluate();
    const entries = (await t.request({ method: 'GET', url: `${base}/history?rule=slow` })).json<
      { kind: string; value: number }[]
    >();
    expect(entries.map((e) => [e.kind, e.value])).toEqual([
      ['cleared', 80],
      ['pending', 900],
    ]);
    expect(sent).toEqual([]);
  });
});
