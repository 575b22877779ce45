/** The metric history routes: bad input named by field, before anything is looked up. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricStore } from '../../metrics/metricStore.js';
import { testApi, type TestApi } from '../testing/apiContext.js';
import type { Release } from '../../release/releases.js';
import { rangeOf, releaseMarkers } from './metricsHistory.js';

let t: TestApi;
let store: MetricStore;
beforeAll(async () => {
  t = await testApi();
  store = new MetricStore({ file: join(t.ctx.home, 'metrics.db') });
  t.ctx.metricHistory = { store, intervalMs: 10_000 };
});
afterAll(async () => {
  store?.close();
  await t?.close();
});

const NOW = Date.parse('2026-12-06T12:00:00Z');

describe('GET …/metrics/history', () => {
  it('reads from and to as times or durations ago, an hour up to now by default', () => {
    expect(rangeOf({}, NOW)).toEqual({ from: NOW - 3_600_000, to: NOW });
    expect(rangeOf({ from: '7d', to: '2026-12-06T11:00:00Z' }, NOW)).toEqual({
      from: NOW - 7 * 86_400_000,
      to: NOW - 3_600_000,
    });
  });

  it.each([
    ['metric=bogus', 'metric'],
    ['metric=rps&from=yesterday', 'from'],
    ['metric=rps&from=1h&to=2h', 'to'],
    ['metric=rps&step=fast', 'step'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const res = await t.request({ method: 'GET', url: `/api/v1/apps/shop/envs/local/metrics/history?${query}` });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.body).toContain(field);
  });

  it('answers 404 for an app that is not there', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/apps/nope/envs/local/metrics/history?metric=rps' });
    expect(res.statusCode).toBe(404);
    const markers = await t.request({ method: 'GET', url: '/api/v1/apps/nope/envs/local/metrics/markers?from=1h' });
    expect(markers.statusCode).toBe(404);
  });
});

describe('release markers', () => {
  it('are the deploys, rollbacks and aborts (failed deploys) of the range, oldest first, with revision and status', async () => {
    const r = (revision: number, kind: string, status: string, at: string, more: Partial<Release> = {}) =>
      ({ revision, kind, status, createdAt: at, startedAt: at, reason: null, message: null, ...more }) as Release;
    const list = [
      r(6, 'deploy', 'succeeded', '2026-12-06T13:00:00Z'),
      r(5, 'auto-rollback', 'succeeded', '2026-12-06T11:50:00Z'),
      r(4, 'deploy', 'failed', '2026-12-06T11:40:00Z', { reason: 'aborted by alice' }),
      r(3, 'scale', 'succeeded', '2026-12-06T11:30:00Z'),
      r(2, 'rollback', 'succeeded', '2026-12-06T11:20:00Z', { message: 'back' }),
      r(1, 'deploy', 'succeeded', '2026-12-06T09:00:00Z'),
    ];
    const markers = await releaseMarkers({ list: async () => list }, 'shop', 'local', NOW - 3_600_000, NOW);
    expect(markers.map((m) => [m.revision, m.kind, m.releaseKind, m.status, m.message])).toEqual([
      [2, 'rollback', 'rollback', 'succeeded', 'back'],
      [4, 'abort', 'deploy', 'failed', 'aborted by alice'],
      [5, 'rollback', 'auto-rollback', 'succeeded', undefined],
    ]);
  });
});
