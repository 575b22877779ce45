/**
 * Signing in to the console with a password, in Chromium against the real control plane (issue 18,
 * point 6): a user who is a viewer everywhere and a developer in `test` signs in; the header names
 * them; in `local` Deploy, Rollback and the config's Save are disabled with the permission they need,
 * in `test` they are enabled and a config change made through the console is saved (its CSRF token
 * works); a reload keeps the session; no password, token or session cookie is readable by the page;
 * sign-out ends the session on the server; too many failed attempts say how long to wait (429 +
 * Retry-After) — in English, then in simplified Chinese, with no console
 * error but the refused sign-in itself.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleMessage } from 'playwright-core';
import { freePort } from '../../src/gateway/testing.js';
import { hostNetworkChanged, openBrowser, type ConsoleBrowser } from './consoleBrowser.js';
import { copyExample, startBerth, type Berth } from './harness.js';
import { addUser } from '../support/identities.js';

const USER = 'dana';
const PASSWORD = 'correct horse battery staple';
let berth: Berth;
let shop: string;
let userToken: string;
let b: ConsoleBrowser;
/** Console errors but the expected refusals (a wrong password's 401, too many's 429). */
const errors: string[] = [];

async function ok(args: string[]): Promise<void> {
  const r = await berth.cli(args);
  expect(r.code, `berth ${args.join(' ')}: ${r.stderr}`).toBe(0);
}

async function open(lang: 'en' | 'zh-CN'): Promise<void> {
  await b?.close();
  b = await openBrowser({ locale: lang === 'zh-CN' ? 'zh-CN' : 'en-US' });
  b.page.on('console', (m: ConsoleMessage) => {
    if (m.type() !== 'error') return;
    const url = m.location().url;
    const expected =
      (url.endsWith('/api/v1/session') && /status of 4(01|29)/.test(m.text())) || hostNetworkChanged(m.text());
    if (!expected) errors.push(`${url}: ${m.text()}`);
  });
  b.page.on('pageerror', (e) => errors.push(`uncaught ${e.message}`));
}

async function signIn(password: string): Promise<void> {
  const { page } = b;
  await page.getByTestId('user').fill(USER);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('password-submit').click();
}

/** The reason a guarded control gives (the tooltip's text), or null when it is allowed. */
async function reasonOf(testId: string): Promise<string | null> {
  const guard = b.page.locator(`[data-denied]:has([data-testid="${testId}"])`);
  return (await guard.count()) === 0 ? null : guard.getAttribute('data-reason');
}

async function disabled(testId: string): Promise<boolean> {
  return b.page.getByTestId(testId).isDisabled();
}

beforeAll(async () => {
  berth = await startBerth();
  shop = await copyExample('shop');
  await ok(['env', 'create', 'test']);
  for (const env of ['local', 'test']) await ok(['env', 'set', env, '--edge-port', String(await freePort())]);
  await ok(['deploy', shop, '-m', 'first']);
  await ok(['config', 'set', 'GREETING=Hello again', '--app', 'shop']);
  await ok(['deploy', shop, '-m', 'second']);
  await ok(['deploy', shop, '-e', 'test', '-m', 'first in test']);
  userToken = await addUser(berth.home, {
    name: USER,
    password: PASSWORD,
    bindings: [{ role: 'viewer' }, { role: 'developer', env: 'test' }],
  });
  await open('en');
}, 120_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

describe('signing in to the console with a password', () => {
  it('refuses a wrong password plainly, then signs in and shows who is signed in', async () => {
    const { page } = b;
    const sso = page.waitForResponse((r) => r.url().endsWith('/api/v1/sso'));
    await page.goto(`${berth.url}/apps/shop/local/releases`);
    await page.waitForURL('**/signin');
    // no single sign-on configured: the control plane says so (200), and the page offers no SSO button
    expect(await (await sso).json()).toEqual({ enabled: false });
    expect(await page.getByTestId('sso').count()).toBe(0);
    await signIn('wrong password');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong user name or password');
    await b.shot('signin-password-wrong');
    await signIn(PASSWORD);
    // back to the page asked for
    await page.waitForSelector('[data-page="releases"] .releases-table tbody tr[data-row-key]');
    expect(await page.getByTestId('user-name').textContent()).toBe(USER);
    expect(await page.getByTestId('user-method').textContent()).toBe('password');
  });

  it('disables Deploy, Rollback and the config’s Save in local (viewer) with the permission they need', async () => {
    const { page } = b;
    expect(await disabled('deploy')).toBe(true);
    expect(await reasonOf('deploy')).toBe('Needs apps:deploy on shop in local');
    expect(await disabled('rollback-1')).toBe(true);
    expect(await reasonOf('rollback-1')).toBe('Needs apps:deploy on shop in local');
    await page.locator('[data-denied]:has([data-testid="deploy"])').hover();
    await page.locator('.ant-tooltip').getByText('Needs apps:deploy on shop in local').waitFor();
    await b.shot('signin-releases-local-denied');
    await page.goto(`${berth.url}/apps/shop/local/config`);
    await page.waitForSelector('[data-page="config"] .values-editor');
    expect(await disabled('review')).toBe(true);
    expect(await reasonOf('review')).toBe('Needs config:write on shop in local');
    await page.goto(`${berth.url}/apps/shop/local/services`);
    await page.locator('[data-ready="orders"]').waitFor();
    expect(await disabled('restart-orders')).toBe(true);
    expect(await reasonOf('restart-orders')).toBe('Needs apps:deploy on shop in local');
  });

  it('enables them in test (developer), and saves a config change made in the console (CSRF header)', async () => {
    const { page } = b;
    await page.goto(`${berth.url}/apps/shop/test/releases`);
    await page.waitForSelector('[data-page="releases"] .releases-table tbody tr[data-row-key]');
    expect(await disabled('deploy')).toBe(false);
    expect(await reasonOf('deploy')).toBeNull();
    // the services' live status is a stream: the session's cookie authenticates it
    await page.goto(`${berth.url}/apps/shop/test/services`);
    await expect.poll(() => page.locator('[data-ready="orders"]').textContent(), { timeout: 15_000 }).toBe('2/2');
    expect(await reasonOf('restart-orders')).toBeNull();
    expect(await disabled('restart-orders')).toBe(false);
    await page.goto(`${berth.url}/apps/shop/test/config`);
    await page.waitForSelector('[data-page="config"] .values-editor');
    await page.getByRole('button', { name: 'Add value' }).click();
    await page.getByTestId('key-0').fill('GREETING');
    await page.getByTestId('value-0').fill('Hello from dana');
    expect(await reasonOf('review')).toBeNull();
    await page.getByTestId('review').click();
    await page.getByTestId('save-config').click();
    await page.getByText('Saved as version v1').waitFor();
    const config = await berth.api<{ version: number; values: Record<string, { value: string }> }>(
      'GET',
      '/api/v1/apps/shop/envs/test/config',
    );
    expect(config.body.version).toBe(1);
    expect(config.body.values['GREETING']?.value).toBe('Hello from dana');
    // the server still decides: the same session's change in local is refused, naming the permission
    const refused = await page.evaluate(`(async () => {
      const me = await (await fetch('/api/v1/me')).json();
      const r = await fetch('/api/v1/apps/shop/envs/local/config', {
        method: 'PATCH', headers: { 'content-type': 'application/json', 'x-berth-csrf': me.csrf },
        body: JSON.stringify({ baseVersion: 1, set: { GREETING: 'nope' } }) });
      return [r.status, (await r.json()).message];
    })()`);
    expect(refused).toEqual([403, expect.stringContaining('config:write on app shop in environment local')]);
    errors.splice(0); // that refusal was asked for
  });

  it('keeps the session over a reload, and no password, token or session cookie is readable by the page', async () => {
    const { page } = b;
    await page.reload();
    await page.waitForSelector('[data-page="config"] .values-editor');
    expect(await page.getByTestId('user-name').textContent()).toBe(USER);
    const readable = (await page.evaluate(
      'JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie])',
    )) as string;
    const me = (await page.evaluate(`fetch('/api/v1/me').then((r) => r.json())`)) as { csrf: string };
    expect(readable).not.toContain(PASSWORD);
    expect(readable).not.toContain(me.csrf);
    expect(readable).not.toContain('berth_');
    expect(readable).not.toContain(userToken);
    expect(await page.evaluate('document.cookie')).not.toContain('berth_session');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'berth_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
  });

  it('signs out to the sign-in page, and the session’s cookie no longer works', async () => {
    const { page } = b;
    const cookie = (await page.context().cookies()).find((c) => c.name === 'berth_session')!;
    const before = await fetch(`${berth.url}/api/v1/me`, { headers: { cookie: `berth_session=${cookie.value}` } });
    expect(before.status).toBe(200);
    await page.getByTestId('user-menu').click();
    await page.getByTestId('sign-out').click();
    await page.waitForURL('**/signin');
    await page.waitForSelector('[data-page="signin"]');
    const after = () => fetch(`${berth.url}/api/v1/me`, { headers: { cookie: `berth_session=${cookie.value}` } });
    await expect.poll(async () => (await after()).status).toBe(401);
    // the shell is closed to the tab now
    await page.goto(`${berth.url}/apps/shop/test/config`);
    await page.waitForURL('**/signin');
    expect(errors).toEqual([]);
  });

  it('does the same in simplified Chinese, and says how long to wait after too many failed attempts', async () => {
    await open('zh-CN');
    const { page } = b;
    await page.goto(`${berth.url}/`);
    await page.waitForURL('**/signin');
    await page.getByRole('tab', { name: 'API 令牌' }).waitFor();
    // no English on the sign-in page but the product's name and acronyms
    const words = (await page.locator('[data-page="signin"]').innerText()).match(/[A-Za-z][A-Za-z_-]*/g) ?? [];
    expect(new Set(words)).toEqual(new Set(['Berth', 'API']));
    await signIn('wrong password');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('用户名或密码错误');
    await signIn(PASSWORD);
    await page.waitForSelector('[data-page="overview"]');
    expect(await page.getByTestId('user-method').textContent()).toBe('密码');
    expect(await page.getByTestId('user-menu').innerText()).toMatch(/^dana\s*密码$/);
    await page.goto(`${berth.url}/apps/shop/local/releases`);
    await page.waitForSelector('[data-page="releases"] .releases-table tbody tr[data-row-key]');
    expect(await reasonOf('deploy')).toBe('需要 shop 在 local 中的 apps:deploy 权限');
    expect(await reasonOf('rollback-1')).toBe('需要 shop 在 local 中的 apps:deploy 权限');
    await page.goto(`${berth.url}/apps/shop/test/releases`);
    await page.waitForSelector('[data-page="releases"] .releases-table tbody tr[data-row-key]');
    expect(await reasonOf('deploy')).toBeNull();
    await b.shot('signin-releases-test-zh-CN');
    await page.getByTestId('user-menu').click();
    await page.getByTestId('sign-out').click();
    await page.waitForSelector('[data-page="signin"]');
    // past five failures for one user name the control plane answers 429 with Retry-After: said in words
    for (let i = 0; i < 6; i++) {
      // a sign-in's answer (not the sign-out's DELETE, which may still be on its way)
      const answered = page.waitForResponse(
        (r) => r.url().endsWith('/api/v1/session') && r.request().method() === 'POST',
      );
      await page.getByTestId('user').fill('mallory');
      await page.getByTestId('password').fill(`guess ${i}`);
      await page.getByTestId('password-submit').click();
      expect((await answered).status()).toBe(i < 5 ? 401 : 429);
    }
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^尝试次数过多，请在 \d+ 秒后重试$/);
    expect(errors).toEqual([]);
  });
});
