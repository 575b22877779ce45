/**
 * The console's traces pages in Chromium against a real control plane: a purchase through the
 * example shop (web → orders → inventory, each forwarding traceparent) is listed with where it
 * entered and the services it reached, found by its id, and drawn as a waterfall of three nested
 * spans on a time axis with caller → callee and the span's details on click; the same in 简体中文
 * with no English left but the app's own names and values; no console errors.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceView } from '../../src/model/trace.js';
import { freePort } from '../../src/gateway/testing.js';
import { pageText, openConsole, type ConsoleBrowser } from './consoleBrowser.js';
import { copyExample, startBerth, type Berth } from './harness.js';

const TRACE = '8bf92f3577b34da6a3ce929d0e0e4731';
const BASE = '/apps/shop/ct';
let berth: Berth;
let b: ConsoleBrowser;
let shop: string;
let view: TraceView;

beforeAll(async () => {
  berth = await startBerth();
  shop = await copyExample('shop');
  const port = await freePort();
  expect((await berth.cli(['env', 'create', 'ct', '--edge-port', String(port)])).code).toBe(0);
  const deployed = await berth.cli(['deploy', shop, '--env', 'ct', '-m', 'traced']);
  expect(deployed.code, deployed.stderr).toBe(0);
  const res = await fetch(`http://127.0.0.1:${port}/buy?item=plum`, {
    method: 'POST',
    headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` },
  });
  expect(res.status).toBe(201);
  for (let i = 0; i < 50; i++) {
    const r = await berth.api<TraceView>('GET', `/api/v1/traces/${TRACE}`);
    if (r.status === 200 && r.body.spans.length >= 3) {
      view = r.body;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(view.spans).toHaveLength(3);
  b = await openConsole(berth);
}, 90_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

/** The page's visible text. */
async function text(): Promise<string> {
  return pageText(b.page);
}

/** The waterfall's rows: depth, what the row says, and the bar's place. */
async function rows(): Promise<{ depth: string; text: string; left: number; width: number }[]> {
  const out = [];
  for (const row of await b.page.locator('[data-testid^="span-"]').all()) {
    const bar = (await row.locator('[data-bar]').getAttribute('style')) ?? '';
    out.push({
      depth: (await row.getAttribute('data-depth')) ?? '',
      text: (await row.innerText()).replace(/\s+/g, ' ').trim(),
      left: Number(/left: ([\d.]+)%/.exec(bar)?.[1]),
      width: Number(/width: ([\d.]+)%/.exec(bar)?.[1]),
    });
  }
  return out;
}

describe('the console’s traces', () => {
  it('lists the purchase, finds it by id and draws its waterfall with details on click', async () => {
    const { page } = b;
    await page.goto(`${berth.url}${BASE}/traces`);
    const link = page.getByTestId(`trace-${TRACE}`);
    await link.waitFor();
    const row = (await page.locator('tr', { has: link }).innerText()).replace(/\s+/g, ' ');
    expect(row).toMatch(/POST \/ web orders inventory 3 [\d.]+ m?s 201/);
    await b.shot('traces-list-en');

    // A trace id that is not one is refused on the page; a real one (any case) opens its waterfall.
    await page.getByTestId('trace-find').locator('input').fill('not-a-trace');
    await page.getByTestId('trace-find').locator('input').press('Enter');
    await expect.poll(() => page.getByTestId('trace-bad-id').innerText()).toContain('is not a trace id');
    await page.getByTestId('trace-find').locator('input').fill(TRACE.toUpperCase());
    await page.getByTestId('trace-find').locator('input').press('Enter');
    await page.waitForSelector('[data-page="trace"]');
    expect(page.url()).toBe(`${berth.url}${BASE}/traces/${TRACE}`);
    await page.getByTestId(`span-${view.spans[2]!.spanId}`).waitFor();

    const shown = await rows();
    expect(shown.map((r) => [r.depth, r.text.replace(/ [\d.]+ m?s · \d+$/, '')])).toEqual([
      ['0', 'web from outside, route POST /'],
      ['1', 'web → orders POST'],
      ['2', 'orders → inventory POST'],
    ]);
    expect(shown.map((r) => / (\d+)$/.exec(r.text)?.[1])).toEqual(['201', '201', '200']);
    // On one time axis: the edge hop spans the whole trace, each call starts later and within its caller.
    expect(shown[0]!.left).toBe(0);
    expect(shown[0]!.width).toBeCloseTo(100, 2);
    expect(shown[1]!.left).toBeGreaterThan(0);
    expect(shown[2]!.left).toBeGreaterThanOrEqual(shown[1]!.left);
    expect(shown[2]!.left + shown[2]!.width).toBeLessThanOrEqual(shown[1]!.left + shown[1]!.width + 0.01);
    expect(await page.getByTestId('time-axis').innerText()).toMatch(/^0\.0 ms/);
    expect(await page.getByTestId('trace-summary').innerText()).toMatch(/^3 spans · [\d.]+ m?s · started /);

    const inventory = view.spans[2]!;
    await page.getByTestId(`span-${inventory.spanId}`).click();
    const details = page.getByTestId('span-details');
    await details.waitFor();
    const d = (await details.innerText()).replace(/\s+/g, ' ');
    expect(d).toContain(`Span id ${inventory.spanId}`);
    expect(d).toContain(`Parent span ${view.spans[1]!.spanId}`);
    expect(d).toContain('Where Service address');
    expect(d).toContain('Called by orders');
    expect(d).toContain('Track Stable');
    expect(inventory.path).toMatch(/^\//);
    expect(d).toContain(`Path ${inventory.path}`);
    expect(d).toMatch(/Status 200 /);
    await page.waitForTimeout(400);
    await b.shot('trace-waterfall-en');
  });

  it('shows both pages in 简体中文 with no English but the app’s own names and values, and no console errors', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    const allowed = new Set(['Berth', 'ms', 'ID']);
    const words = (v: unknown): void => {
      if (typeof v === 'string') for (const w of v.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []) allowed.add(w);
      else if (Array.isArray(v)) v.forEach(words);
      else if (v && typeof v === 'object') Object.entries(v).forEach(words);
    };
    for (const path of ['/api/v1/apps', `/api/v1/apps/shop/envs/ct/traces`, `/api/v1/traces/${TRACE}`])
      words((await berth.api('GET', path)).body);
    const english: string[] = [];
    const check = async (name: string): Promise<string> => {
      expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
      const t = await text();
      for (const line of t.split('\n'))
        for (const w of line.replace(/\b[0-9a-f]{16,32}\b/g, '').match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? [])
          if (!allowed.has(w) && w.length > 1) english.push(`${name}: ${w} (in "${line.trim().slice(0, 80)}")`);
      await page.waitForTimeout(400);
      await b.shot(`${name}-zh-CN`);
      return t;
    };
    await page.goto(`${berth.url}${BASE}/traces`);
    await page.getByTestId(`trace-${TRACE}`).waitFor();
    const list = await check('traces-list');
    expect(list).toContain('shop 在 ct 的链路');
    expect(list).toContain('只看失败');

    await page.getByTestId(`trace-${TRACE}`).click();
    await page.getByTestId(`span-${view.spans[1]!.spanId}`).click();
    await page.getByTestId('span-details').waitFor();
    const waterfall = await check('trace-waterfall');
    expect(waterfall).toMatch(/3 个跨度 · [\d.]+ m?s · 开始于 /);
    expect(waterfall).toContain('来自外部，路由 POST /');
    expect(waterfall.replace(/\s+/g, ' ')).toContain('调用方 web');
    expect(waterfall).toContain('服务地址');
    expect(english).toEqual([]);
    expect(b.errors).toEqual([]);
  });
});
