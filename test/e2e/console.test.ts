/**
 * The web console in a real browser against the real control plane and the example shop: sign in,
 * the overview (empty, then with the shop), services, a config change with its diff and impact,
 * a deploy watched live, a rollback, logs, environments with an API error's field paths, and the
 * language switch; a screenshot of each page, and no console errors anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ROOT, startBerth, waitFor, type Berth } from './harness.js';
import { openBrowser, type ConsoleBrowser } from './consoleBrowser.js';

const SHOP = join(ROOT, 'examples/shop');
let berth: Berth;
let b: ConsoleBrowser;

interface Status {
  edge?: { url: string };
}

async function edgeText(): Promise<string> {
  const st = (await berth.api<Status>('GET', '/api/v1/apps/shop/envs/local/status')).body;
  const res = await fetch(`${st.edge!.url}/`);
  return res.text();
}

beforeAll(async () => {
  berth = await startBerth();
  b = await openBrowser();
});
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
});

describe('the web console', () => {
  it('serves the app at / with hashed assets cached for a year and deep links falling back to index.html', async () => {
    const index = await fetch(`${berth.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${berth.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    const deep = await fetch(`${berth.url}/apps/shop/local/config`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    // the API keeps its token and its JSON 404s
    expect((await fetch(`${berth.url}/api/v1/apps`)).status).toBe(401);
    const missing = await berth.api<{ code: string }>('GET', '/api/v1/no-such-route');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NOT_FOUND');
    expect((await fetch(`${berth.url}/assets/no-such-file.js`)).status).toBe(404);
  });

  it('asks for the token, refuses a wrong one, and shows the empty overview after signing in', async () => {
    const { page } = b;
    await page.goto(`${berth.url}/`);
    await page.waitForURL('**/signin');
    await b.shot('signin');
    await page.getByRole('tab', { name: 'API token' }).click();
    await page.getByTestId('token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('token');
    // the browser reports the refused request itself; that one is expected
    expect(b.errors.splice(0)).toEqual([expect.stringContaining('status of 401')]);
    await page.getByTestId('token').fill(berth.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('[data-page="overview"]');
    await page.getByText('No apps yet. Deploy one').waitFor();
    await b.shot('overview-empty');
  });

  it('signs in from a #token= link and removes the token from the address', async () => {
    const { page } = b;
    await page.evaluate('sessionStorage.clear()');
    await page.goto(`${berth.url}/environments#token=${encodeURIComponent(berth.token)}`);
    await page.waitForSelector('[data-page="environments"]');
    expect(page.url()).not.toContain('token');
  });

  it('shows every app with its health, services and last release', async () => {
    const r = await berth.cli(['deploy', SHOP, '-m', 'first']);
    expect(r.code).toBe(0);
    const { page } = b;
    await page.goto(`${berth.url}/`);
    const card = page.locator('[data-app="shop/local"]');
    await card.waitFor();
    await expect
      .poll(() => card.locator('[data-health]').first().getAttribute('data-health'), { timeout: 15_000 })
      .toBe('healthy');
    expect(await card.textContent()).toContain('revision 1');
    expect(await card.textContent()).toContain('3/3');
    await b.shot('overview');
  });

  it('shows the services as a dependency graph and a table that update by themselves', async () => {
    const { page } = b;
    await page.goto(`${berth.url}/apps/shop/local/services`);
    await page.waitForSelector('[data-page="services"] .services-table');
    await expect.poll(() => page.locator('[data-ready="orders"]').textContent()).toBe('2/2');
    expect(await page.locator('[data-ready="inventory"]').textContent()).toBe('1/1');
    await page.locator('[data-testid="service-graph"] canvas').first().waitFor();
    // scale orders behind the console's back: the table follows without a reload
    await berth.api('POST', '/api/v1/apps/shop/envs/local/services/orders/scale', { replicas: 3 });
    await expect.poll(() => page.locator('[data-ready="orders"]').textContent(), { timeout: 30_000 }).toBe('3/3');
    await b.shot('services');
    await berth.api('POST', '/api/v1/apps/shop/envs/local/services/orders/scale', { replicas: 2 });
    await expect.poll(() => page.locator('[data-ready="orders"]').textContent(), { timeout: 30_000 }).toBe('2/2');
  });

  it('changes a config value, shows the diff and which services restart, then saves a version', async () => {
    const { page } = b;
    await page.goto(`${berth.url}/apps/shop/local/config`);
    await page.waitForSelector('[data-page="config"] .values-editor');
    await page.getByRole('button', { name: 'Add value' }).click();
    await page.getByTestId('key-0').fill('GREETING');
    await page.getByTestId('value-0').fill('Hello from the console');
    await page.getByTestId('review').click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('.side-by-side').getByText('Hello from the console').waitFor();
    await dialog.locator('[data-restarts="web"]').waitFor();
    expect(await dialog.locator('[data-restarts]').allTextContents()).toEqual(['web']);
    expect(await page.getByTestId('impact').textContent()).toContain('config GREETING');
    await b.shot('config-impact');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved as version v1').waitFor();
    const cfg = await berth.api<{ version: number; values: Record<string, { value: string }> }>(
      'GET',
      '/api/v1/apps/shop/envs/local/config',
    );
    expect(cfg.body.version).toBe(1);
    expect(cfg.body.values.GREETING?.value).toBe('Hello from the console');
    await page.getByRole('tab', { name: 'Versions' }).click();
    const diff = page.locator('.config-versions .side-by-side');
    await diff.getByText('Hello from the console').waitFor();
    await b.shot('config-versions');
  });

  it('deploys with the plan shown first and follows the progress until it succeeds', async () => {
    const { page } = b;
    await page.goto(`${berth.url}/apps/shop/local/config`);
    await page.getByRole('tab', { name: 'Versions' }).waitFor();
    await page.goto(`${berth.url}/apps/shop/local/releases?deploy=1`);
    const plan = page.getByTestId('deploy-plan');
    await plan.getByText('Hello from the console').waitFor();
    expect(await plan.textContent()).toContain('env.GREETING');
    await b.shot('deploy-plan');
    await page.getByTestId('confirm-deploy').click();
    const progress = page.locator('.release-progress[data-revision="4"]');
    await progress.waitFor();
    // progress arrives by itself: the level steps, then the final status
    await progress.locator('.ant-steps-item').first().waitFor();
    await expect.poll(() => progress.getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    expect(await progress.locator('.release-events').textContent()).toMatch(/web/);
    await b.shot('release-progress');
    expect(await edgeText()).toContain('Hello from the console');
  });

  it('rolls back to an earlier revision after asking for confirmation', async () => {
    const { page } = b;
    await page.getByTestId('rollback-1').click();
    await page.getByTestId('confirm-rollback').click();
    const progress = page.locator('.release-progress[data-revision="5"]');
    await expect.poll(() => progress.getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    await waitFor('the old greeting', async () => (await edgeText()).includes('Welcome to the Berth shop'), 15_000);
    const rows = page.locator('.releases-table tbody tr');
    await expect.poll(() => rows.count()).toBe(5);
    await page.locator('.revision-diff .side-by-side').first().waitFor();
    await b.shot('releases');
  });

  it('tails the logs live with a filter', async () => {
    const { page } = b;
    await page.goto(`${berth.url}/apps/shop/local/logs`);
    const lines = page.getByTestId('log-lines');
    await lines.getByText('web listening', { exact: false }).first().waitFor();
    await page.getByTestId('log-filter').locator('input').fill('inventory listening');
    await expect
      .poll(async () =>
        (await lines.locator('.log-line').allTextContents()).every((l) => l.includes('inventory listening')),
      )
      .toBe(true);
    expect(await lines.locator('.log-line').count()).toBeGreaterThan(0);
    await b.shot('logs');
  });

  it('shows an API error with its field path when an environment is invalid', async () => {
    const { page } = b;
    await page.goto(`${berth.url}/environments`);
    await page.getByTestId('new-environment').click();
    await page.getByTestId('environment-name').fill('Not A Name');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    const problem = page.getByRole('dialog').locator('.problem-path');
    await problem.first().waitFor();
    expect(await problem.first().textContent()).toBe('name');
    expect(b.errors.splice(0)).toEqual([expect.stringContaining('status of 400')]);
    await b.shot('environments-error');
    await page.getByTestId('environment-name').fill('staging');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page.locator('[data-page="environments"] tbody').getByText('staging').waitFor();
    await b.shot('environments');
  });

  it('switches the language to simplified Chinese and keeps it', async () => {
    const { page } = b;
    await page.goto(`${berth.url}/`);
    await page.getByTestId('language').click();
    await page.locator('.ant-select-item-option[title="简体中文"]').click();
    await page.getByRole('menuitem', { name: '总览' }).waitFor();
    await page.reload();
    await page.getByRole('menuitem', { name: '发布' }).waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await b.shot('overview-zh-CN');
    await page.goto(`${berth.url}/apps/shop/local/services`);
    await page.waitForSelector('.services-table');
    await b.shot('services-zh-CN');
  });

  it('raised no console errors on any page', () => {
    expect(b.errors).toEqual([]);
  });
});
