/**
 * The alert rule routes through fastify's inject() on a real store: a rule written, listed, read
 * back without its credentials, replaced and deleted; an unknown metric, a malformed webhook URL and
 * a missing threshold refused with 400 naming each field; the channels encrypted in the SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluator } from '../../alerts/evaluator.js';
import type { Readings } from '../../alerts/readings.js';
import { testApi, type TestApi } from '../testing/apiContext.js';

const url = '/api/v1/apps/shop/envs/local/alerts/rules';
const hook = 'https://oapi.dingtalk.com/robot/send?access_token=tok-123';

describe('the alert rule routes', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await testApi();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates a rule, shows it without the channel’s token or secret, and keeps them encrypted at rest', async () => {
    const made = await t.request({
      method: 'PUT',
      url: `${url}/errors`,
      body: {
        metric: 'error-rate',
        service: 'orders',
        threshold: 0.05,
        for: '2m',
        severity: 'critical',
        labels: { team: 'payments' },
        notify: [{ type: 'dingtalk', url: hook, secret: 'SECabc' }],
      },
    });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({
      app: 'shop',
      env: 'local',
      name: 'errors',
      metric: 'error-rate',
      threshold: 0.05,
      for: '2m',
      severity: 'critical',
      labels: { team: 'payments' },
      notify: [{ type: 'dingtalk', url: 'https://oapi.dingtalk.com/******', secret: '******' }],
    });
    expect(made.body).not.toContain('tok-123');
    expect(made.body).not.toContain('SECabc');
    const list = await t.request({ method: 'GET', url });
    expect(list.json<{ name: string }[]>().map((r) => r.name)).toEqual(['errors']);
    expect(list.body).not.toContain('tok-123');
    const stored = await t.ctx.alertRules.get('shop', 'local', 'errors');
    expect(stored.notify).toEqual([{ type: 'dingtalk', url: hook, secret: 'SECabc' }]);
    expect(stored.for).toBe(120_000);
  });

  it('replaces a rule with 200 and deletes it, then answers 404', async () => {
    const again = await t.request({ method: 'PUT', url: `${url}/errors`, body: { metric: 'release-failed' } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ metric: 'release-failed', severity: 'warning', for: '0s', notify: [] });
    expect((await t.request({ method: 'DELETE', url: `${url}/errors` })).statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url: `${url}/errors` })).statusCode).toBe(404);
    expect((await t.request({ method: 'DELETE', url: `${url}/errors` })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: `${url}/__proto__` })).statusCode).toBe(400);
  });

  it('refuses an unknown metric and a malformed webhook URL with 400 naming each field', async () => {
    const r = await t.request({
      method: 'PUT',
      url: `${url}/bad`,
      body: {
        metric: 'cpu-temperature',
        notify: [
          { type: 'slack', url: 'https://hooks.slack.com/services/T/B/x' },
          { type: 'webhook', url: 'not a url' },
          { type: 'feishu', url: 'ftp://open.feishu.cn/x' },
        ],
      },
    });
    expect(r.statusCode).toBe(400);
    const problems = r.json<{ problems: { path: string; message: string }[] }>().problems;
    expect(problems.map((p) => p.path)).toEqual(['metric', 'notify.1.url', 'notify.2.url']);
    expect(problems[0]!.message).toContain('unknown metric');
    expect(problems[1]!.message).toContain('not a URL');
    expect((await t.request({ method: 'GET', url: `${url}/bad` })).statusCode).toBe(404);
  });

  it('asks a measured metric for its threshold, refuses one on an event, an unknown channel type and a reserved label', async () => {
    const r = await t.request({ method: 'PUT', url: `${url}/p99`, body: { metric: 'p99', labels: { severity: 'x' } } });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ problems: { path: string }[] }>().problems.map((p) => p.path)).toEqual([
      'labels.severity',
      'threshold',
    ]);
    const e = await t.request({
      method: 'PUT',
      url: `${url}/rb`,
      body: { metric: 'release-rolled-back', threshold: 1 },
    });
    expect(e.json<{ problems: { path: string }[] }>().problems.map((p) => p.path)).toEqual(['threshold']);
    const c = await t.request({
      method: 'PUT',
      url: `${url}/rb`,
      body: { metric: 'release-rolled-back', notify: [{ type: 'pager', url: 'https://x' }] },
    });
    expect(c.statusCode).toBe(400);
    expect(c.json<{ problems: { path: string }[] }>().problems.map((p) => p.path)).toEqual(['notify.0.type']);
  });

  it('refuses a rule in an environment that does not exist', async () => {
    const r = await t.request({
      method: 'PUT',
      url: '/api/v1/apps/shop/envs/nowhere/alerts/rules/x',
      body: { metric: 'job-failed' },
    });
    expect(r.statusCode).toBe(404);
  });

  it('shows the alerts pending and firing, as the evaluator stepped them', async () => {
    expect((await t.request({ method: 'GET', url: '/api/v1/apps/shop/envs/local/alerts' })).json()).toEqual([]);
    let clock = Date.parse('2026-12-06T09:00:00Z');
    const readings: Readings = new Map([
      [
        'unavailable-replicas',
        [
          { service: 'orders', value: 2 },
          { service: 'web', value: 1 },
        ],
      ],
    ]);
    const evaluator = createEvaluator({
      rules: t.ctx.alertRules,
      read: async () => readings,
      outbox: { enqueue: async () => [] },
      now: () => clock,
    });
    t.ctx.alerts = evaluator;
    await t.request({
      method: 'PUT',
      url: `${url}/down`,
      body: { metric: 'unavailable-replicas', threshold: 1, for: '30s' },
    });
    await t.request({ method: 'PUT', url: `${url}/any-down`, body: { metric: 'unavailable-replicas', threshold: 0 } });
    await evaluator.evaluate();
    clock += 30_000;
    await evaluator.evaluate();
    const alerts = await t.request({ method: 'GET', url: '/api/v1/apps/shop/envs/local/alerts' });
    expect(alerts.json()).toEqual([
      {
        rule: 'any-down',
        service: 'orders',
        phase: 'firing',
        since: '2026-12-06T09:00:00.000Z',
        firedAt: '2026-12-06T09:00:00.000Z',
        value: 2,
      },
      {
        rule: 'any-down',
        service: 'web',
        phase: 'firing',
        since: '2026-12-06T09:00:00.000Z',
        firedAt: '2026-12-06T09:00:00.000Z',
        value: 1,
      },
      {
        rule: 'down',
        service: 'orders',
        phase: 'firing',
        since: '2026-12-06T09:00:00.000Z',
        firedAt: '2026-12-06T09:00:30.000Z',
        value: 2,
      },
    ]);
    expect((await t.request({ method: 'GET', url: '/api/v1/apps/shop/envs/staging/alerts' })).json()).toEqual([]);
  });

  it('silences an app’s alerts for a while, lists the active silences, ends one, and refuses a bad one naming the field', async () => {
    const base = '/api/v1/apps/shop/envs/local/alerts/silences';
    const made = await t.request({
      method: 'POST',
      url: base,
      body: { rule: 'errors', for: '2h', comment: 'maintenance' },
    });
    expect(made.statusCode).toBe(201);
    const silence = made.json<{ id: number; startsAt: string; endsAt: string }>();
    expect(made.json()).toMatchObject({
      app: 'shop',
      env: 'local',
      rule: 'errors',
      comment: 'maintenance',
      createdBy: 'tester',
    });
    expect(Date.parse(silence.endsAt) - Date.parse(silence.startsAt)).toBe(7_200_000);
    expect((await t.request({ method: 'GET', url: base })).json<{ id: number }[]>().map((s) => s.id)).toEqual([
      silence.id,
    ]);
    const bad = await t.request({ method: 'POST', url: base, body: { for: 'forever', service: 'Bad_Name' } });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json<{ problems: { path: string }[] }>()
        .problems.map((p) => p.path)
        .sort(),
    ).toEqual(['for', 'service']);
    expect((await t.request({ method: 'DELETE', url: `${base}/${silence.id}` })).statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url: base })).json()).toEqual([]);
    expect((await t.request({ method: 'DELETE', url: `${base}/${silence.id}` })).statusCode).toBe(404);
  });
});
