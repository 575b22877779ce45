/**
 * The console's metrics page in Chromium against a real control plane sampling the example shop
 * every 300 ms: after real traffic, a deploy and a rollback, its charts hold data and the three
 * releases as markers (read from the charts' data attributes, not pixels), per app and per service,
 * in English and in simplified Chinese with no English left but the app's own names; no console errors.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricHistory } from '../../src/model/metricHistory.js';
import { freePort } from '../../src/gateway/testing.js';
import { pageText, openConsole, type ConsoleBrowser } from './consoleBrowser.js';
import { copyExample, startBerth, waitFor, type Berth } from './harness.js';

const ENV = 'cm';
const BASE = `/apps/shop/${ENV}/metrics`;
let berth: Berth;
let shop: string;
let b: ConsoleBrowser;

beforeAll(async () => {
  berth = await startBerth({ env: { BERTH_METRICS_INTERVAL: '300ms' } });
  shop = await copyExample('shop');
  const edge = await freePort();
  expect((await berth.cli(['env', 'create', ENV, '--edge-port', String(edge)])).code).toBe(0);
  const first = await berth.cli(['deploy', shop, '--env', ENV, '-m', 'first']);
  expect(first.code, first.stderr).toBe(0);
  for (let i = 0; i < 20; i++) await (await fetch(`http://127.0.0.1:${edge}/api/inventory`)).arrayBuffer();
  expect((await berth.cli(['config', 'set', 'GREETING=Hello', '--app', 'shop', '--env', ENV])).code).toBe(0);
  expect((await berth.cli(['deploy', shop, '--env', ENV, '-m', 'second'])).code).toBe(0);
  expect((await berth.cli(['rollback', 'shop', '--env', ENV, '--to', '1'])).code).toBe(0);
  await waitFor('the requests in the history', async () => {
    const r = await berth.api<MetricHistory>(
      'GET',
      `/api/v1/apps/shop/envs/${ENV}/metrics/history?metric=requests&service=inventory`,
    );
    return r.body.series[0]?.points.reduce((a, [, v]) => a + (v ?? 0), 0) === 20 ? true : undefined;
  });
  b = await openConsole(berth);
}, 120_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

/** A chart's data attributes once it has points and the three markers. */
async function chart(id: string): Promise<{ lines: string; points: number; markers: string; canvas: number }> {
  const el = b.page.getByTestId(`metric-chart-${id}`);
  await expect.poll(async () => Number(await el.getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect.poll(() => el.getAttribute('data-markers')).toBe('1:deploy 2:deploy 3:rollback');
  return {
    lines: (await el.getAttribute('data-lines')) ?? '',
    points: Number(await el.getAttribute('data-points')),
    markers: (await el.getAttribute('data-markers')) ?? '',
    canvas: await el.locator('canvas').count(),
  };
}

describe('the metrics page', () => {
  it('charts every service with the releases as markers, and one service with its own lines, in English', async () => {
    const { page } = b;
    await page.goto(`${berth.url}${BASE}`);
    await page.waitForSelector('[data-page="metrics"]');
    await expect.poll(() => page.locator('h1, h2, h3, h4').first().textContent()).toContain('Metrics of shop in cm');
    const rps = await chart('rps');
    expect(rps.lines.split('|').sort()).toEqual(['inventory', 'orders', 'web']);
    expect(rps.canvas).toBe(1);
    expect((await chart('replicas')).lines.split('|').sort()).toEqual(['inventory', 'orders', 'web']);
    await page.getByText('Requests per second').first().waitFor();

    // One service: latency as p50 and p99, replicas as ready and desired.
    await page.getByTestId('metrics-service').click();
    await page.getByTitle('inventory').click();
    await expect.poll(async () => page.getByTestId('metric-chart-latency').getAttribute('data-lines')).toBe('p50|p99');
    expect((await chart('latency')).points).toBeGreaterThan(0);
    await expect
      .poll(async () => page.getByTestId('metric-chart-replicas').getAttribute('data-lines'))
      .toBe('ready|desired');
    // A longer range still shows the same data (raw samples up to 6 hours, rollups beyond).
    await page.getByText('6 hours').click();
    expect((await chart('rps')).points).toBeGreaterThan(0);
    await b.shot('metrics-en');
  });

  it('reads in simplified Chinese with no English but the app’s names, and raised no console errors', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    await page.goto(`${berth.url}${BASE}`);
    await page.waitForSelector('[data-page="metrics"]');
    await expect.poll(() => page.locator('h1, h2, h3, h4').first().textContent()).toContain('shop 在 cm 的指标');
    await chart('rps');
    await page.getByTestId('metrics-service').click();
    await page.getByTitle('inventory').click();
    await expect
      .poll(async () => page.getByTestId('metric-chart-replicas').getAttribute('data-lines'))
      .toBe('就绪|期望');
    await page.getByText('每秒请求数').first().waitFor();
    const text = await pageText(page);
    const allowed = new Set(['Berth', 'shop', 'cm', 'web', 'orders', 'inventory', 'CPU', 'MiB', 'p50', 'p99']);
    const english = (text.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []).filter((w) => !allowed.has(w) && w.length > 1);
    expect(english).toEqual([]);
    await b.shot('metrics-zh-CN');
    expect(b.errors).toEqual([]);
  });
});
