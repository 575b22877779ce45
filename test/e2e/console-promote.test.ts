/**
 * The Releases page's Promote… action in Chromium against the real control plane: the shop deployed
 * to `local`, a protected `staging` with its own config; the dialog shows the config difference (the
 * secret as differing, without its value) and the plan, asks for the confirmation a protected target
 * needs, promotes, and staging's history shows where the revision came from — in English, then in
 * simplified Chinese with no English but the app's own names, and no console error.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/gateway/testing.js';
import { openConsole, type ConsoleBrowser } from './consoleBrowser.js';
import { copyExample, startBerth, type Berth } from './harness.js';

let berth: Berth;
let shop: string;
let b: ConsoleBrowser;

async function ok(args: string[]): Promise<void> {
  const r = await berth.cli(args);
  expect(r.code, `berth ${args.join(' ')}: ${r.stderr}`).toBe(0);
}

beforeAll(async () => {
  berth = await startBerth();
  shop = await copyExample('shop');
  await ok(['env', 'create', 'staging']);
  for (const env of ['local', 'staging']) {
    await ok(['env', 'set', env, '--edge-port', String(await freePort())]);
    await ok(['config', 'set', `GREETING=Hello ${env}`, '--app', 'shop', '--env', env]);
    await ok(['config', 'set', `SESSION_SECRET=${env}-secret`, '--secret', '--app', 'shop', '--env', env]);
  }
  await ok(['env', 'set', 'staging', '--protected']);
  await ok(['deploy', shop]);
  b = await openConsole(berth);
}, 90_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

/** Opens Promote… on local's Releases page and chooses staging; resolves with the dialog's text. */
async function openPromote(): Promise<void> {
  const { page } = b;
  await page.goto(`${berth.url}/apps/shop/local/releases`);
  await page.waitForSelector('[data-page="releases"] .releases-table tbody tr');
  await page.getByTestId('promote').click();
  await page.getByTestId('promote-target').click();
  await page.locator('.ant-select-item-option[title="staging"]').click();
  await page.waitForSelector('[data-testid="promote-preview"] [data-testid="promote-plan"]');
}

/** The config difference's rows as [key, difference, in local, in staging]. */
async function rows(): Promise<string[][]> {
  return (await b.page.evaluate(`[...document.querySelectorAll('[data-testid="promote-config"] tbody tr[data-key]')]
    .map((r) => [0, 1, 2, 3].map((i) => (r.cells[i]?.textContent ?? '').trim()))`)) as string[][];
}

async function promoteAndSeeOrigin(revision: number, origin: string): Promise<void> {
  const { page } = b;
  const confirm = page.getByTestId('confirm-promote');
  expect(await confirm.isDisabled()).toBe(true);
  await page.getByTestId('promote-confirm').click();
  expect(await confirm.isDisabled()).toBe(false);
  await confirm.click();
  await page.waitForURL(/\/apps\/shop\/staging\/releases/);
  await expect.poll(async () => (await page.getByTestId(`origin-${revision}`).textContent()) ?? '').toBe(origin);
}

describe('promoting from the Releases page', () => {
  it('shows the config difference and the plan, needs the confirmation of a protected target, and promotes', async () => {
    await b.page.goto(`${berth.url}/environments`);
    expect(await b.page.getByTestId('protected-staging').textContent()).toBe('protected');
    expect(await b.page.getByTestId('protected-local').count()).toBe(0);
    await openPromote();
    const dialog = String(await b.page.locator('.ant-modal').innerText());
    expect(dialog).toContain('Revision 1 of local goes to staging · nothing runs there yet');
    expect(dialog).toContain('staging is a protected environment');
    expect(await rows()).toEqual([
      ['GREETING', 'differs', 'Hello local', 'Hello staging'],
      ['SESSION_SECRET', 'differssecret, differs', '', ''],
    ]);
    expect(dialog).not.toMatch(/local-secret|staging-secret/);
    expect(await b.page.getByTestId('promote-plan').innerText()).toMatch(/inventory/);
    await b.shot('releases-promote-en');
    await promoteAndSeeOrigin(1, 'from local@1');
    const history = await berth.json<{ kind: string; options: { promotedFrom?: object } }[]>([
      'history',
      'shop',
      '--env',
      'staging',
    ]);
    expect(history[0]).toMatchObject({ kind: 'promotion', options: { promotedFrom: { env: 'local', revision: 1 } } });

    // A deploy into the protected staging waits for the same confirmation.
    const { page } = b;
    await page.getByTestId('deploy').click();
    await page.waitForSelector('[data-testid="deploy-plan"]');
    expect(await page.locator('.ant-modal').innerText()).toContain('staging is a protected environment');
    expect(await page.getByTestId('confirm-deploy').isDisabled()).toBe(true);
    await page.getByTestId('deploy-confirm').click();
    expect(await page.getByTestId('confirm-deploy').isDisabled()).toBe(false);
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('reads in simplified Chinese with no English but the app’s own names, and raised no console errors', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    await page.goto(`${berth.url}/environments`);
    expect(await page.getByTestId('protected-staging').textContent()).toBe('受保护');
    await openPromote();
    expect(await rows()).toEqual([
      ['GREETING', '不同', 'Hello local', 'Hello staging'],
      ['SESSION_SECRET', '不同机密，不同', '', ''],
    ]);
    const text = String(await page.locator('.ant-modal').innerText());
    expect(text).toContain('local 的修订 1 将部署到 staging');
    expect(text).toContain('staging 是受保护的环境');
    const allowed = new Set(['shop', 'web', 'orders', 'inventory', 'local', 'staging', 'Berth']);
    for (const w of ['GREETING', 'SESSION_SECRET', 'Hello', 'api']) allowed.add(w);
    const english = (text.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []).filter(
      (w) => w.length > 1 && !allowed.has(w) && !/^v\d+$/.test(w),
    );
    expect(english).toEqual([]);
    await b.shot('releases-promote-zh-CN');
    await promoteAndSeeOrigin(2, '来自 local@1');
    // A rollback in the protected staging says so, and its dialog is the confirmation.
    await page.getByTestId('rollback-1').click();
    expect(await page.locator('.ant-modal-confirm').innerText()).toContain('staging 是受保护的环境');
    await page.getByTestId('confirm-rollback').click();
    await expect
      .poll(async () => (await berth.json<{ kind: string }[]>(['history', 'shop', '--env', 'staging']))[0]?.kind)
      .toBe('rollback');
    expect(b.errors).toEqual([]);
  });
});
