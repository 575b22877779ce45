/**
 * Metric history end to end (issue 16, point 4): the example shop on a real control plane sampling
 * every 300 ms into metrics.db. A known number of requests through the edge shows in the history of
 * the service and of its route, counts matching; latency quantiles, replicas and memory are there; a
 * deploy and a rollback are markers on the time axis; the history survives a control-plane kill, and
 * requests served while it was down are counted once it is back. `berth metrics` shows it all.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricHistory, ReleaseMarkers } from '../../src/model/metricHistory.js';
import { freePort } from '../../src/gateway/testing.js';
import { copyExample, startBerth, waitFor, type Berth } from './harness.js';

let berth: Berth;
let shop: string;
let edge: number;
const ENV = 'mh';
const A = `/api/v1/apps/shop/envs/${ENV}/metrics`;

beforeAll(async () => {
  berth = await startBerth({ env: { BERTH_METRICS_INTERVAL: '300ms' } });
  shop = await copyExample('shop');
  edge = await freePort();
});
afterAll(async () => {
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

const total = (h: MetricHistory): number =>
  h.series.reduce((a, s) => a + s.points.reduce((b, [, v]) => b + (v ?? 0), 0), 0);

async function history(query: string): Promise<MetricHistory> {
  const r = await berth.api<MetricHistory>('GET', `${A}/history?${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

async function send(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`http://127.0.0.1:${edge}/api/inventory`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
}

/** Waits until the history of inventory's requests since 10 minutes ago adds up to `n`. */
async function requestsReach(n: number, query = ''): Promise<MetricHistory> {
  return waitFor(
    `${n} requests in the history`,
    async () => {
      const h = await history(`metric=requests&service=inventory&from=10m${query}`);
      return total(h) === n ? h : undefined;
    },
    15_000,
  );
}

describe('metric history', () => {
  it('records the requests sent, with latency, replicas and memory, and releases as markers', async () => {
    expect((await berth.cli(['env', 'create', ENV, '--edge-port', String(edge)])).code).toBe(0);
    const deployed = await berth.cli(['deploy', shop, '--env', ENV, '-m', 'first']);
    expect(deployed.code, deployed.stderr).toBe(0);
    await send(30);

    const h = await requestsReach(30);
    expect(h).toMatchObject({ app: 'shop', env: ENV, metric: 'requests', unit: 'count', resolution: 'raw' });
    expect(h.series.map((s) => s.service)).toEqual(['inventory']);
    // The same requests in the route's own series, and none in a route they did not take.
    expect(total(await history('metric=requests&service=inventory&from=10m&route=/api/inventory'))).toBe(30);
    expect(total(await history('metric=requests&service=web&from=10m'))).toBe(0);
    // Every service is a series of the app's chart; only inventory had requests.
    const app = await history('metric=requests&from=10m');
    expect(app.series.map((s) => [s.service, total({ ...app, series: [s] })])).toEqual([
      ['inventory', 30],
      ['orders', 0],
      ['web', 0],
    ]);
    expect(total(await history('metric=errors&service=inventory&from=10m'))).toBe(0);
    const p99 = await history('metric=p99&service=inventory&from=10m');
    expect(p99.series[0]!.points.some(([, v]) => v !== null && v > 0)).toBe(true);
    const ready = await history('metric=ready&from=10m');
    const readyOf = (svc: string) =>
      ready.series.find((s) => s.service === svc)?.points.findLast(([, v]) => v !== null)?.[1];
    expect([readyOf('web'), readyOf('orders'), readyOf('inventory')]).toEqual([1, 2, 1]);
    const memory = await history('metric=memory&service=orders&from=10m');
    expect(memory.series[0]!.points.some(([, v]) => v !== null && v > 1_000_000)).toBe(true);

    // A second deploy and a rollback to the first: markers with their revisions and kinds.
    expect((await berth.cli(['config', 'set', 'GREETING=Hello', '--app', 'shop', '--env', ENV])).code).toBe(0);
    expect((await berth.cli(['deploy', shop, '--env', ENV, '-m', 'second'])).code).toBe(0);
    const rolled = await berth.cli(['rollback', 'shop', '--env', ENV, '--to', '1']);
    expect(rolled.code, rolled.stderr).toBe(0);
    const markers = await berth.api<ReleaseMarkers>('GET', `${A}/markers?from=10m`);
    expect(markers.status).toBe(200);
    expect(markers.body.markers.map((m) => [m.revision, m.kind, m.status])).toEqual([
      [1, 'deploy', 'succeeded'],
      [2, 'deploy', 'succeeded'],
      [3, 'rollback', 'succeeded'],
    ]);
    expect((await history('metric=rps&from=10m')).markers.map((m) => m.revision)).toEqual([1, 2, 3]);

    // The CLI: a row per service with a sparkline, then the releases.
    const table = await berth.cli(['metrics', 'shop', '--env', ENV, '--metric', 'requests', '--since', '10m']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^requests of shop in mh from \S+ to \S+, a point per \d+(\.\d+)?s$/);
    expect(lines[1]).toMatch(/^SERVICE +LAST +MIN +AVG +MAX +TREND$/);
    // (one point or several: the lowest is 0 only once a tick without requests came after them)
    expect(lines[2]).toMatch(/^inventory +\d+ +\d+ +[0-9.]+ +\d+ +[▁-█ ]+$/);
    expect(table.stdout).toMatch(/releases:\n {2}\S+ {2}revision 1 {2}deploy {2}succeeded {2}first\n/);
    expect(table.stdout).toMatch(/revision 3 {2}rollback {2}succeeded/);
    const json = await berth.json<MetricHistory>([
      'metrics',
      'shop',
      '--env',
      ENV,
      '--service',
      'inventory',
      '--metric',
      'requests',
      '--since',
      '10m',
    ]);
    expect(total(json)).toBe(30);
    const replicas = await berth.json<MetricHistory[]>(['metrics', 'shop', '--env', ENV, '--metric', 'replicas']);
    expect(replicas.map((r) => r.metric)).toEqual(['ready', 'desired']);

    // Bad input is named.
    const bad = await berth.cli(['metrics', 'shop', '--env', ENV, '--metric', 'bogus']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('metric');
    const badRange = await berth.cli(['metrics', 'shop', '--env', ENV, '--since', 'yesterday']);
    expect(badRange.code).toBe(1);
    expect(badRange.stderr).toMatch(/from: "yesterday" is not a time/);
  });

  it('keeps the history across a control-plane kill, and counts the requests served while it was down', async () => {
    await berth.kill('SIGKILL');
    // The gateway outlives the control plane: the edge still serves.
    await send(5);
    await berth.restart();
    await requestsReach(35);
    expect(total(await history('metric=requests&service=inventory&from=10m&route=/api/inventory'))).toBe(35);
  });
});
