/**
 * The console's Approvals page in Chromium against the real control plane, signed in as a release
 * manager: prod needs an approval; a config change (its diff, the secret masked) and a deploy (its
 * plan) wait there, and so does a request the release manager asked for himself (its approve button
 * disabled with the reason). He approves the config change: it is written as its author, naming him.
 * Then the same page in simplified Chinese with no English but names and values, and no console error.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/gateway/testing.js';
import { openConsole, type ConsoleBrowser } from './consoleBrowser.js';
import { copyExample, startBerth, type Berth } from './harness.js';
import { addUser } from '../support/identities.js';
import type { ApprovalRequest } from '../../src/model/approvals.js';

let berth: Berth;
let shop: string;
let b: ConsoleBrowser;
let rmToken: string;
const ids = { config: 0, deploy: 0, own: 0 };

async function ok(args: string[], token?: string): Promise<string> {
  const r = await berth.cli(args, token ? { env: { BERTH_TOKEN: token } } : {});
  expect(r.code, `berth ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}
const idIn = (out: string): number => Number(/request #(\d+)/.exec(out)?.[1]);

beforeAll(async () => {
  berth = await startBerth({ env: { BERTH_TOKEN_OWNER: 'lead' } });
  shop = await copyExample('shop');
  await ok(['env', 'create', 'prod']);
  await ok(['env', 'set', 'prod', '--edge-port', String(await freePort())]);
  await ok([
    'config',
    'set',
    'GREETING=Hello',
    'SESSION_SECRET=old-secret',
    '--secret',
    '--app',
    'shop',
    '--env',
    'prod',
  ]);
  await ok(['config', 'set', 'GREETING=Hello', '--plain', '--app', 'shop', '--env', 'prod']);
  await ok(['env', 'set', 'prod', '--approvals', '1']);
  rmToken = await addUser(berth.home, {
    name: 'rm',
    bindings: [{ role: 'viewer' }, { role: 'deployer', env: 'prod' }],
  });
  ids.config = idIn(
    await ok([
      'config',
      'set',
      'GREETING=Bonjour',
      'SESSION_SECRET=new-secret',
      '--app',
      'shop',
      '--env',
      'prod',
      '-m',
      'french',
    ]),
  );
  ids.deploy = idIn(await ok(['deploy', shop, '--env', 'prod', '-m', 'first release']));
  ids.own = idIn(
    await ok(['config', 'set', 'CURRENCY=CHF', '--app', 'shop', '--env', 'prod', '--ask', 'swiss shop'], rmToken),
  );
  // rm may approve a deploy in prod but not a config change: pat (admin in prod) signs in.
  b = await openConsole({
    url: berth.url,
    token: await addUser(berth.home, { name: 'pat', bindings: [{ role: 'admin', env: 'prod' }, { role: 'viewer' }] }),
  });
}, 90_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

/** The table's rows as [id, asks, author, reason, state, approvals]. */
async function rows(): Promise<string[][]> {
  return (await b.page.evaluate(`[...document.querySelectorAll('[data-testid="approvals"] tbody tr[data-id]')]
    .map((r) => [0, 1, 2, 3, 4, 5, 6].map((i) => (r.cells[i]?.textContent ?? '').trim()))`)) as string[][];
}

async function open(): Promise<void> {
  await b.page.goto(`${berth.url}/approvals`);
  await b.page.waitForSelector('[data-testid="approvals"] tbody tr[data-id]');
}

describe('the Approvals page', () => {
  it('shows who asked what, the diff and the plan, and approves with a comment', async () => {
    await open();
    expect(await rows()).toEqual([
      ['', String(ids.own), 'change the config of shop in prod', 'rm', 'swiss shop', 'waiting', '0 of 1'],
      ['', String(ids.deploy), 'deploy shop to prod', 'lead', 'first release', 'waiting', '0 of 1'],
      ['', String(ids.config), 'change the config of shop in prod', 'lead', 'french', 'waiting', '0 of 1'],
    ]);
    const rowOf = (id: number) => b.page.locator(`[data-testid="approvals"] tbody tr[data-id="${id}"]`);
    await rowOf(ids.config).locator('.ant-table-row-expand-icon').click();
    const changes = b.page.getByTestId(`changes-${ids.config}`);
    await changes.waitFor();
    const diff = await changes.innerText();
    expect(diff).toMatch(/GREETING\s+changed\s+Hello\s+Bonjour/);
    expect(diff).toContain('SESSION_SECRET');
    expect(await b.page.evaluate('document.body.innerText')).not.toMatch(/old-secret|new-secret/);
    await rowOf(ids.deploy).locator('.ant-table-row-expand-icon').click();
    await b.page.getByTestId(`changes-${ids.deploy}`).getByText('inventory').first().waitFor();
    await b.shot('approvals-en');

    await b.page.getByTestId(`approve-${ids.config}`).click();
    await b.page.getByTestId('approval-text').fill('ok for prod');
    await b.page.getByRole('button', { name: 'Approve', exact: true }).last().click();
    await b.page.waitForFunction(
      `![...document.querySelectorAll('[data-testid="approvals"] tbody tr[data-id]')].some((r) => r.dataset.id === '${ids.config}')`,
    );
    const done = (await berth.api<ApprovalRequest>('GET', `/api/v1/approvals/${ids.config}`)).body;
    expect(done).toMatchObject({ state: 'done', approvals: [{ name: 'pat', comment: 'ok for prod' }] });
    const cfg = (
      await berth.api<{ version: number; author: string; message: string }>('GET', '/api/v1/apps/shop/envs/prod/config')
    ).body;
    expect(cfg).toMatchObject({ author: 'lead', message: `french [approval #${ids.config}, approved by pat]` });
  });

  it('disables what the signed-in user may not do, with the reason', async () => {
    const own = await openConsole({ url: berth.url, token: rmToken });
    try {
      await own.page.goto(`${berth.url}/approvals`);
      await own.page.waitForSelector('[data-testid="approvals"] tbody tr[data-id]');
      expect(await own.page.getByTestId(`approve-${ids.own}`).isDisabled()).toBe(true);
      await own.page.getByTestId(`approve-${ids.own}`).locator('..').hover();
      await own.page.getByText('You asked for this: it needs approvals from others.').waitFor();
      expect(await own.page.getByTestId(`approve-${ids.deploy}`).isDisabled()).toBe(false);
      expect(own.errors).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it('reads in simplified Chinese with no English but names and values, and raised no console errors', async () => {
    await b.page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    await open();
    await b.page.getByText('全部').click();
    await b.page.waitForFunction(
      `document.querySelectorAll('[data-testid="approvals"] tbody tr[data-id]').length === 3`,
    );
    const r = await rows();
    expect(r.map((x) => x.slice(2, 6))).toEqual([
      ['变更 prod 中 shop 的配置', 'rm', 'swiss shop', '等待中'],
      ['将 shop 部署到 prod', 'lead', 'first release', '等待中'],
      ['变更 prod 中 shop 的配置', 'lead', 'french', '已完成'],
    ]);
    const text = String(await b.page.evaluate("document.title + '\\n' + document.body.innerText"));
    const allowed = new Set([
      'shop',
      'prod',
      'rm',
      'lead',
      'pat',
      'swiss',
      'first',
      'release',
      'french',
      'Berth',
      'local',
    ]);
    const english = (text.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []).filter((w) => w.length > 1 && !allowed.has(w));
    expect(english).toEqual([]);
    await b.shot('approvals-zh-CN');
    expect(b.errors).toEqual([]);
  });
});
