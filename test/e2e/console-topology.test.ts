/**
 * The console's topology page in Chromium against the real control plane: the example shop with
 * real traffic through its edge (purchases web → orders → inventory, and orders with a broken body
 * that orders answers 502), the observed graph and the declared one drawn, the calls in a table with
 * their health (the broken orders failing), web → inventory listed as an unused dependency; a
 * window chosen; then the same page in simplified Chinese with no English but the app's own names,
 * and no console error.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallGraph } from '../../src/model/callGraph.js';
import { freePort } from '../../src/gateway/testing.js';
import { pageText, openConsole, type ConsoleBrowser } from './consoleBrowser.js';
import { copyExample, startBerth, waitFor, type Berth } from './harness.js';

const BUYS = 5;
const BROKEN = 2;
const PAGE = '/apps/shop/topo/topology';
let berth: Berth;
let shop: string;
let b: ConsoleBrowser;

beforeAll(async () => {
  berth = await startBerth();
  shop = await copyExample('shop');
  const port = await freePort();
  expect((await berth.cli(['env', 'create', 'topo', '--edge-port', String(port)])).code).toBe(0);
  const deployed = await berth.cli(['deploy', shop, '--env', 'topo']);
  expect(deployed.code, deployed.stderr).toBe(0);
  for (let i = 0; i < BUYS; i++)
    expect((await fetch(`http://127.0.0.1:${port}/buy?item=pear`, { method: 'POST' })).status).toBe(201);
  for (let i = 0; i < BROKEN; i++)
    expect((await fetch(`http://127.0.0.1:${port}/api/orders`, { method: 'POST', body: '{' })).status).toBe(502);
  await waitFor('the spans collected', async () => {
    const g = await berth.json<CallGraph>(['graph', 'shop', '-e', 'topo', '-o', 'json']);
    return g.edges.reduce((n, e) => n + e.count, 0) === 3 * BUYS + BROKEN ? g : undefined;
  });
  b = await openConsole(berth);
}, 90_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

/** The table's rows as [caller, callee, requests, error rate, health, mark]. */
async function edgeRows(): Promise<string[][]> {
  // A string: the e2e project's TypeScript has no DOM types.
  return (await b.page.evaluate(`[...document.querySelectorAll('[data-testid="callgraph-edges"] tbody tr[data-edge]')]
    .map((r) => [0, 1, 2, 4, 7, 8].map((i) => (r.cells[i]?.textContent ?? '').trim()))`)) as string[][];
}

describe('the topology page', () => {
  it('draws the observed calls beside dependsOn, with health, the calls table and the differences', async () => {
    const { page } = b;
    await page.goto(`${berth.url}${PAGE}`);
    await page.waitForSelector('[data-page="topology"] [data-testid="callgraph-edges"]');
    expect(await page.getByTestId('topology-summary').textContent()).toBe(`${3 * BUYS + BROKEN} requests over 4 calls`);
    // Health from latency depends on the machine; every broken order failed, so that call is failing.
    const rows = await edgeRows();
    expect(rows.map(([from, to, count, errors, , mark]) => [from, to, count, errors, mark])).toEqual([
      ['outside', 'web', String(BUYS), '0.0%', ''],
      ['orders', 'inventory', String(BUYS), '0.0%', ''],
      ['web', 'orders', String(BUYS), '0.0%', ''],
      ['outside', 'orders', String(BROKEN), '100.0%', ''],
    ]);
    expect(rows[3]![4]).toBe('failing');
    for (const row of rows) expect(['healthy', 'slow', 'failing']).toContain(row[4]);
    const differences = page.locator('[data-testid="callgraph-differences"] [data-mark]');
    expect(await differences.count()).toBe(1);
    expect(await differences.first().getAttribute('data-edge')).toBe('web>inventory');
    expect(await differences.first().textContent()).toBe(
      'unusedweb declares inventory in dependsOn, but did not call it in this window',
    );
    // Both charts are drawn (ECharts paints a canvas), and the legend explains their colours and dashes.
    for (const id of ['observed-graph', 'declared-graph'])
      await page.locator(`[data-testid="${id}"] canvas`).first().waitFor();
    const legend = (await page.getByTestId('topology-legend').textContent()) ?? '';
    expect(legend).toContain('failing: errors from 5.0% or p99 from 1.00 s');
    expect(legend).toContain('unused: in dependsOn, never called (dashed)');
    await b.shot('topology-en');

    // Another window: the address keeps it, the graph is asked again for it.
    const asked = page.waitForRequest((r) => r.url().includes('/callgraph?window=1h'));
    await page.getByTestId('window-select').click();
    await page.getByText('last hour', { exact: true }).click();
    await asked;
    expect(page.url()).toContain('window=1h');
    await expect.poll(async () => (await edgeRows()).length).toBe(4);
  });

  it('reads in simplified Chinese with no English but the app’s own names, and raised no console errors', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    await page.goto(`${berth.url}${PAGE}`);
    await page.waitForSelector('[data-page="topology"] [data-testid="callgraph-edges"]');
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    for (const id of ['observed-graph', 'declared-graph'])
      await page.locator(`[data-testid="${id}"] canvas`).first().waitFor();
    expect(await page.getByTestId('topology-summary').textContent()).toBe(`4 条调用，共 ${3 * BUYS + BROKEN} 个请求`);
    expect((await edgeRows())[3]).toEqual(['外部', 'orders', String(BROKEN), '100.0%', '故障', '']);
    expect(await page.locator('[data-testid="callgraph-differences"] [data-mark]').first().textContent()).toBe(
      '未使用web 在 dependsOn 中声明了 inventory，但在此时间窗口内未调用',
    );
    const text = await pageText(page);
    // The app's names, berth.yaml's own key, the environment and units may show in any language.
    const allowed = new Set(['shop', 'web', 'orders', 'inventory', 'topo', 'dependsOn', 'ms', 'Berth']);
    const english = (text.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []).filter((w) => w.length > 1 && !allowed.has(w));
    expect(english).toEqual([]);
    await b.shot('topology-zh-CN');
    expect(b.errors).toEqual([]);
  });
});
