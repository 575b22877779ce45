/**
 * The config page's "Compare environments" tab in Chromium against the real control plane: the shop
 * deployed to `local`, its config copied to `qa` by `berth env copy`, then changed there; the tab shows
 * only what differs — a plain value with both sides, a secret as differing without its value, a file
 * by hash — then the same in simplified Chinese with no English but the app's own names, and no
 * console error.
 */
import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/gateway/testing.js';
import { pageText, openConsole, type ConsoleBrowser } from './consoleBrowser.js';
import { copyExample, startBerth, type Berth } from './harness.js';

const PAGE = '/apps/shop/local/config';
const CONF = 'port=8080\n';
const HASH = createHash('sha256').update(CONF).digest('hex').slice(0, 12);
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
  await ok(['env', 'set', 'local', '--edge-port', String(await freePort())]);
  await ok(['config', 'set', 'GREETING=Hello local', 'SESSION_SECRET=local-secret', '--secret', '--app', 'shop']);
  await ok(['config', 'set', 'GREETING=Hello local', '--plain', '--app', 'shop']);
  const deployed = await berth.cli(['deploy', shop]);
  expect(deployed.code, deployed.stderr).toBe(0);
  await ok(['env', 'copy', 'local', 'qa']);
  await ok(['config', 'set', 'GREETING=Hello qa', 'SESSION_SECRET=qa-secret', '--app', 'shop', '--env', 'qa']);
  await ok(['config', 'set', 'CURRENCY=CHF', '--app', 'shop', '--env', 'qa']);
  await writeFile(join(shop, 'app.conf'), CONF);
  await ok(['config', 'set', '--file', `app.conf=${join(shop, 'app.conf')}`, '--app', 'shop', '--env', 'qa']);
  b = await openConsole(berth);
}, 90_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

/** The comparison's rows as [key, difference, in local, in qa]. */
async function rows(): Promise<string[][]> {
  return (await b.page.evaluate(`[...document.querySelectorAll('[data-testid="env-compare"] tbody tr[data-key]')]
    .map((r) => [0, 1, 2, 3].map((i) => (r.cells[i]?.textContent ?? '').trim()))`)) as string[][];
}

async function openTab(name: string): Promise<void> {
  await b.page.goto(`${berth.url}${PAGE}`);
  await b.page.waitForSelector('[data-page="config"] .values-editor');
  await b.page.getByRole('tab', { name }).click();
  await b.page.waitForSelector('[data-testid="env-compare"] tbody tr[data-key]');
}

describe('the config page compared with another environment', () => {
  it('shows only what differs from qa: values with both sides, the secret without its value', async () => {
    await openTab('Compare environments');
    expect(await b.page.getByTestId('env-compare-versions').textContent()).toBe('local v2 → qa v4');
    expect(await rows()).toEqual([
      ['CURRENCY', 'only in qa', '(none)', 'CHF'],
      ['GREETING', 'differs', 'Hello local', 'Hello qa'],
      ['SESSION_SECRET', 'differssecret, differs', '', ''],
      ['fileapp.conf', 'only in qa', '(none)', `${HASH}… (10 bytes)`],
    ]);
    const text = String(await b.page.evaluate('document.body.innerText'));
    expect(text).not.toMatch(/local-secret|qa-secret/);
    await b.shot('config-envcompare-en');
  });

  it('reads in simplified Chinese with no English but the app’s own names, and raised no console errors', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    await openTab('比较环境');
    expect(await rows()).toEqual([
      ['CURRENCY', '仅在 qa', '（无）', 'CHF'],
      ['GREETING', '不同', 'Hello local', 'Hello qa'],
      ['SESSION_SECRET', '不同机密，不同', '', ''],
      ['文件app.conf', '仅在 qa', '（无）', `${HASH}… (10 字节)`],
    ]);
    const text = (await pageText(page)).replace(HASH, '');
    // The app's names, its config keys and values, the environments may show in any language.
    const allowed = new Set(['shop', 'web', 'orders', 'inventory', 'local', 'qa', 'Berth']);
    for (const w of ['CURRENCY', 'GREETING', 'SESSION_SECRET', 'Hello', 'CHF', 'app', 'conf']) allowed.add(w);
    const english = (text.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []).filter(
      (w) => w.length > 1 && !allowed.has(w) && !/^v\d+$/.test(w), // v2: a version, as console-i18n.test.ts allows
    );
    expect(english).toEqual([]);
    await b.shot('config-envcompare-zh-CN');
    expect(b.errors).toEqual([]);
  });
});
