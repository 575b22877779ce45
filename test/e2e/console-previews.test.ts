/**
 * The environments page marks preview environments, in Chromium against the real control plane: the
 * shop's config in `local`, two previews opened from it by the CLI (one deployed, answering on its own
 * edge port), each row saying whose preview it is, when it expires and its edge port; one closed from
 * the page (its replicas gone, the environment deleted); then the same page in simplified Chinese with
 * no English but the app's and environments' own names, and no console error.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/gateway/testing.js';
import { pageText, openConsole, type ConsoleBrowser } from './consoleBrowser.js';
import { copyExample, startBerth, waitFor, type Berth } from './harness.js';

let berth: Berth;
let shop: string;
let b: ConsoleBrowser;
let edge = 0;
let pids: number[] = [];

async function ok(args: string[]): Promise<string> {
  const r = await berth.cli(args);
  expect(r.code, `berth ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  berth = await startBerth();
  shop = await copyExample('shop');
  await ok(['env', 'set', 'local', '--edge-port', String(await freePort())]);
  await ok(['config', 'set', 'GREETING=Hello preview', '--app', 'shop']);
  await ok(['preview', 'open', 'shop', 'pr-7', '--template', 'local']);
  await ok(['preview', 'open', 'shop', '--branch', 'feature/cart', '--template', 'local', '--ttl', '2h']);
  const p = await berth.json<{ edgePort: number }>(['preview', 'open', 'shop', 'pr-7', '--template', 'local']);
  edge = p.edgePort;
  const deployed = await berth.cli(['deploy', shop, '--env', 'local-pr-7']);
  expect(deployed.code, deployed.stderr).toBe(0);
  expect(await (await fetch(`http://127.0.0.1:${edge}/api/greeting`)).json()).toEqual({ greeting: 'Hello preview' });
  const st = await berth.json<{ services: { replicas: { pid?: number }[] }[] }>([
    'status',
    'shop',
    '--env',
    'local-pr-7',
  ]);
  pids = st.services.flatMap((s) => s.replicas.map((r) => r.pid ?? 0)).filter((x) => x > 0);
  b = await openConsole(berth);
}, 90_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

async function cell(env: string): Promise<string> {
  return ((await b.page.getByTestId(`preview-${env}`).textContent()) ?? '').trim();
}

async function openPage(): Promise<void> {
  await b.page.goto(`${berth.url}/environments`);
  await b.page.waitForSelector('[data-testid="preview-local-pr-7"], [data-testid="preview-local-feature-cart"]');
}

describe('preview environments on the environments page', () => {
  it('marks each preview with its app, key, expiry and edge port, and closes one', async () => {
    await openPage();
    expect(await cell('local-pr-7')).toMatch(new RegExp(`^previewof shop · pr-7expires .+edge port ${edge}Close$`));
    expect(await cell('local-feature-cart')).toMatch(/^previewof shop · feature-cartexpires .+edge port \d+Close$/);
    expect(await b.page.locator('[data-testid^="preview-local"]').count()).toBe(2);
    await b.shot('environments-previews-en');

    await b.page.getByTestId('close-preview-local-pr-7').click();
    // The confirmation's click sends the close and the answer comes: a failure says which did not
    // happen (a click that missed, or a close that took too long), not only that no message showed.
    const closing = b.page.waitForRequest((r) => r.method() === 'DELETE' && r.url().includes('/previews/shop/pr-7'));
    await b.page.getByRole('button', { name: 'Close', exact: true }).last().click();
    const closed = await (await closing).response();
    expect(closed?.status()).toBe(200);
    await b.page.getByText('Preview pr-7 closed: local-pr-7 deleted').waitFor();
    await waitFor('the row of local-pr-7 gone', async () =>
      (await b.page.getByTestId('preview-local-pr-7').count()) === 0 ? true : undefined,
    );
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(await berth.json<{ state: string; closedReason: string }[]>(['preview', 'list', '--all'])).toMatchObject([
      { key: 'feature-cart', state: 'open' },
      { key: 'pr-7', state: 'closed', closedReason: 'by hand' },
    ]);
  }, 40_000);

  it('reads in simplified Chinese with no English but the names, and raised no console errors', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    await openPage();
    expect(await cell('local-feature-cart')).toMatch(/^预览shop · feature-cart 的预览.+到期入口端口 \d+关 ?闭$/);
    const text = await pageText(page);
    const allowed = new Set(['shop', 'local', 'feature-cart', 'local-feature-cart', 'Berth', 'Kubernetes']);
    const english = (text.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []).filter((w) => w.length > 1 && !allowed.has(w));
    expect(english).toEqual([]);
    await b.shot('environments-previews-zh-CN');
    expect(b.errors).toEqual([]);
  });
});
