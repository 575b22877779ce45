/**
 * The logs page's Search tab in a real browser against the real control plane and the example
 * shop: a purchase with a trade id, logged by orders and by web, is found by one search, the trade
 * id marked in both lines, each line linking to its trace; a range that ends before it starts
 * shows the API's 400 naming `until`; in simplified Chinese the page has no English but the app's
 * own names and lines; no console errors.
 */
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { copyExample, startBerth, waitFor, type Berth } from './harness.js';
import { openConsole, type ConsoleBrowser, pageText } from './consoleBrowser.js';
import type { LogSearchResult } from '../../src/model/logSearch.js';

const TRADE = 'T-8812';
const SEARCH = '/apps/shop/local/logs?tab=search';
let berth: Berth;
let b: ConsoleBrowser;
let dir: string;
let traceId: string;

/** An attribute of every element a locator finds. */
async function attrs(l: Locator, name: string): Promise<(string | null)[]> {
  return Promise.all((await l.all()).map((e) => e.getAttribute(name)));
}

beforeAll(async () => {
  dir = await copyExample('shop');
  berth = await startBerth();
  const r = await berth.cli(['deploy', dir]);
  expect(r.code, r.stderr).toBe(0);
  const edge = (await berth.json<{ edge: { url: string } }>(['status', 'shop'])).edge.url;
  const buy = await fetch(`${edge}/buy?item=apple&trade=${TRADE}`, { method: 'POST' });
  expect(buy.status).toBe(201);
  // Both lines indexed before the browser looks.
  const found = await waitFor('the trade in the index', async () => {
    const s = await berth.api<LogSearchResult>('GET', `/api/v1/apps/shop/envs/local/logs/search?q=${TRADE}`);
    return s.body.lines.length >= 2 ? s.body : undefined;
  });
  traceId = found.lines[0]!.traceId!;
  expect(found.lines.map((l) => l.traceId)).toEqual([traceId, traceId]);
  b = await openConsole(berth);
}, 120_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

describe('the logs page’s search', () => {
  it('finds a trade logged by two services with one search, marks it, and links each line to its trace', async () => {
    const { page } = b;
    await page.goto(`${berth.url}/apps/shop/local/logs`);
    await page.getByRole('tab', { name: 'Search' }).click();
    await page.getByTestId('search-text').fill(TRADE.toLowerCase());
    await page.getByTestId('search-go').click();
    const lines = page.getByTestId('search-lines').locator('.found-line');
    await expect.poll(() => lines.count()).toBe(2);
    expect(await attrs(lines, 'data-service')).toEqual(['orders', 'web']);
    // The match is marked in each line, in the line's own case.
    expect(await lines.locator('mark').allTextContents()).toEqual([TRADE, TRADE]);
    expect(await lines.locator('.ant-tag').allTextContents()).toEqual(['INFO', 'INFO']);
    const links = page.getByTestId('trace-link');
    expect(await attrs(links, 'href')).toEqual([
      `/apps/shop/local/traces/${traceId}`,
      `/apps/shop/local/traces/${traceId}`,
    ]);
    expect(await page.getByTestId('search-count').textContent()).toBe('2 lines, oldest first');
    // The search is in the address: a link to it shows the same lines.
    expect(new URL(page.url()).searchParams.get('q')).toBe(TRADE.toLowerCase());
    await b.shot('log-search');
    await links.first().click();
    await page.waitForURL(`**/apps/shop/local/traces/${traceId}`);
  });

  it('shows the API’s 400 naming the field for a range that ends before it starts', async () => {
    const { page } = b;
    await page.goto(`${berth.url}${SEARCH}&since=2026-12-06T12:00:00.000Z&until=2026-12-06T11:00:00.000Z`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('.problem-path').allTextContents()).toEqual(['until']);
    expect(await alert.textContent()).toContain('is not after since');
    // The browser notes the refused request itself; nothing else went wrong.
    expect(b.errors.splice(0)).toEqual([expect.stringContaining('status of 400')]);
  });

  it('reads in simplified Chinese with no English but the app’s own names and lines, and raised no console errors', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    await page.goto(`${berth.url}${SEARCH}&q=${TRADE}&level=info`);
    const lines = page.getByTestId('search-lines').locator('.found-line');
    await expect.poll(() => lines.count()).toBe(2);
    expect(await lines.locator('.ant-tag').allTextContents()).toEqual(['信息', '信息']);
    expect(await page.getByTestId('search-count').textContent()).toBe('2 行，最早的在前');
    expect(await page.getByTestId('trace-link').first().textContent()).toBe('追踪 →');
    // The page without the lines and replica names the app itself printed.
    const text = await pageText(page, ['[data-line]', '[data-replica]']);
    const allowed = new Set(['Berth', 'shop', 'local', 'web', 'orders', 'inventory', 'stdout', 'stderr']);
    const english = (text.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []).filter((w) => !allowed.has(w) && w !== TRADE);
    expect(english).toEqual([]);
    await b.shot('log-search-zh-CN');
    expect(b.errors).toEqual([]);
  });
});
