/**
 * The console's Access page in Chromium against a real control plane (issue 18): the bootstrap admin
 * creates a user and a service account, disables and enables the user, creates a custom role, binds a
 * group to a role in an environment, and creates a service account's token whose secret is shown once
 * with a copy button and works, then revokes it; a viewer sees the actions it may not take disabled with
 * the permission they need. The same tabs in 简体中文 with no English left but names and permission
 * values; no console errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../support/identities.js';
import { openBrowser, type ConsoleBrowser } from './consoleBrowser.js';
import { startBerth, type Berth } from './harness.js';

let berth: Berth;
let b: ConsoleBrowser;

beforeAll(async () => {
  berth = await startBerth();
  b = await openBrowser();
  await b.page.goto(`${berth.url}/#token=${encodeURIComponent(berth.token)}`);
  await b.page.waitForSelector('[data-page="overview"]');
}, 60_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
});

const text = async (): Promise<string> => String(await b.page.evaluate('document.body.innerText'));
const rowOf = async (testid: string, has: string): Promise<string> =>
  (await b.page.locator(`[data-testid="${testid}"] tbody tr`, { hasText: has }).first().innerText()).replace(
    /\s+/g,
    ' ',
  );

describe('the Access page', () => {
  it('creates users, a role, a binding and a token shown once, as the admin', async () => {
    const { page } = b;
    await page.locator('.ant-menu-item', { hasText: 'Access' }).click();
    await page.waitForSelector('[data-page="access"] [data-testid="users"]');
    expect(page.url()).toContain('/access');

    // a user with a password and a group
    await page.getByTestId('new-user').click();
    await page.getByRole('dialog').getByTestId('user-name').fill('dev');
    await page.getByTestId('user-password').fill('short');
    await page.getByTestId('user-groups').click();
    await page.keyboard.type('developers');
    await page.keyboard.press('Enter');
    await page.getByTestId('create-user').click();
    // the server's refusal names the field
    await expect
      .poll(async () =>
        page
          .locator('.ant-modal .problems')
          .innerText()
          .catch(() => ''),
      )
      .toContain('password');
    // the browser reports the refused request (400) as a console error: the one expected here
    expect(b.errors).toEqual([expect.stringContaining('status of 400')]);
    b.errors.length = 0;
    await page.getByTestId('user-password').fill('a long password 1');
    await page.getByTestId('create-user').click();
    await expect
      .poll(() => rowOf('users', 'dev').catch(() => ''))
      .toContain('dev User developers Signs in with a password Enabled');

    // a service account: no password field
    await page.getByTestId('new-user').click();
    await page.getByRole('dialog').getByTestId('user-name').fill('ci');
    await page.getByTestId('user-kind').click();
    await page.locator('.ant-select-item-option[title="Service account"]').click();
    await expect.poll(() => page.getByTestId('user-password').count()).toBe(0); // the form re-renders for the kind chosen
    await page.getByTestId('create-user').click();
    await expect
      .poll(() => rowOf('users', 'ci').catch(() => ''))
      .toContain('ci Service account None No password Enabled');

    // disable, then enable again
    await page.getByTestId('toggle-dev').click();
    await expect.poll(() => rowOf('users', 'dev')).toContain('Disabled');
    expect((await berth.api<{ disabled: boolean }>('GET', '/api/v1/users/dev')).body.disabled).toBe(true);
    await page.getByTestId('toggle-dev').click();
    await expect.poll(() => rowOf('users', 'dev')).toContain('Enabled');
    await b.shot('access-users-en');

    // a custom role
    await page.getByTestId('tab-roles').click();
    await page.waitForSelector('[data-testid="roles"] tbody tr');
    expect(await rowOf('roles', 'deployer')).toContain('deployer Built in apps:read');
    await page.getByTestId('new-role').click();
    await page.getByTestId('role-name').fill('release-manager');
    await page.getByTestId('role-permissions').click();
    for (const p of ['apps:deploy', 'approvals:approve']) {
      // the list is virtual: type to bring the option into it
      await page.keyboard.type(p);
      await page.locator(`.ant-select-item-option[title="${p}"]`).click();
    }
    await page.keyboard.press('Escape');
    await page.getByTestId('role-description').fill('deploys to prod');
    await page.getByTestId('create-role').click();
    await expect
      .poll(() => rowOf('roles', 'release-manager').catch(() => ''))
      .toContain('release-manager Custom apps:deploy approvals:approve deploys to prod');
    await b.shot('access-roles-en');

    // a binding: group developers gets developer in test
    await page.getByTestId('tab-bindings').click();
    await page.getByTestId('new-binding').click();
    await page.getByTestId('binding-kind').click();
    await page.locator('.ant-select-item-option[title="Group"]').click();
    await page.getByTestId('binding-subject').fill('developers');
    await page.getByTestId('binding-role').click();
    await page.locator('.ant-select-item-option[title="developer"]').click();
    await page.getByTestId('binding-env').fill('test');
    await page.getByTestId('create-binding').click();
    await expect
      .poll(() => rowOf('bindings', 'developers').catch(() => ''))
      .toMatch(/Group developers developer any test/);
    const bindings = (await berth.api<{ subject: string; role: string; env: string }[]>('GET', '/api/v1/role-bindings'))
      .body;
    expect(bindings).toMatchObject([{ subject: 'developers', role: 'developer', env: 'test' }]);
    await b.shot('access-bindings-en');

    // a service account's token: the secret once, with a copy button, and it works
    await page.getByTestId('tab-tokens').click();
    await page.getByTestId('new-token').click();
    await page.getByTestId('token-name').fill('pipeline');
    await page.getByTestId('token-user').fill('ci');
    await page.getByTestId('token-scopes').click();
    await page.keyboard.type('apps:read');
    await page.locator('.ant-select-item-option[title="apps:read"]').click();
    await page.keyboard.press('Escape');
    await page.getByTestId('create-token').click();
    const secretBox = page.getByTestId('token-secret');
    await secretBox.waitFor();
    const secret = (await secretBox.innerText()).trim();
    expect(secret).toMatch(/^berth_/);
    expect(await text()).toContain('Copy the token now: it is shown only once and cannot be shown again.');
    expect(await secretBox.locator('.ant-typography-copy').count()).toBe(1);
    await b.shot('access-token-secret-en');
    const me = await berth.api<{ name: string; tokenScopes: string[] }>('GET', '/api/v1/me', undefined, {
      token: secret,
    });
    expect(me.body).toMatchObject({ name: 'ci', tokenScopes: ['apps:read'] });
    await page.getByTestId('secret-done').click();
    // the list never shows it again
    await page.getByTestId('all-tokens').click();
    await expect
      .poll(() => rowOf('tokens', 'pipeline').catch(() => ''))
      .toContain('pipeline Service account ci apps:read');
    expect(await text()).not.toContain(secret);
    const id = (await rowOf('tokens', 'pipeline')).split(' ')[0]!;
    await page.getByTestId(`revoke-${id}`).click();
    await page.locator('.ant-popconfirm .ant-btn-primary').click();
    await expect
      .poll(async () => (await berth.api('GET', '/api/v1/me', undefined, { token: secret })).status)
      .toBe(401);
    await expect.poll(() => rowOf('tokens', 'pipeline').catch(() => '')).toBe('');
    expect(b.errors).toEqual([]);
  });

  it('disables what a viewer may not do, naming the permission', async () => {
    const { page } = b;
    const viewer = await addUser(berth.home, { name: 'vera', bindings: [{ role: 'viewer' }] });
    await page.goto(`${berth.url}/#token=${encodeURIComponent(viewer)}`);
    await page.waitForSelector('[data-page="overview"]');
    await page.goto(`${berth.url}/access`);
    await page.waitForSelector('[data-testid="signed-in-as"]');
    expect(await page.getByTestId('signed-in-as').innerText()).toBe('Signed in as vera');
    expect(await page.locator('[data-denied="users:read"]').innerText()).toBe('Needs users:read');
    await page.getByTestId('tab-tokens').click();
    await expect.poll(() => rowOf('tokens', 'test').catch(() => '')).toContain('test Personal vera');
    expect(await page.getByTestId('all-tokens').count()).toBe(0);
    await page.getByTestId('tab-roles').click();
    expect(await page.locator('[data-denied="roles:read"]').innerText()).toBe('Needs roles:read');
    await b.shot('access-viewer-en');
    expect(b.errors).toEqual([]);
    // back to the admin
    await page.goto(`${berth.url}/#token=${encodeURIComponent(berth.token)}`);
    await page.waitForSelector('[data-page="overview"]');
  });

  it('shows every tab in 简体中文 with no English but names and permissions, and no console errors', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    const allowed = new Set(['Berth', 'ID', 'berth', 'user', 'token', 'role', 'users', 'write']);
    const words = (v: unknown): void => {
      if (typeof v === 'string') for (const w of v.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []) allowed.add(w);
      else if (Array.isArray(v)) v.forEach(words);
      else if (v && typeof v === 'object') Object.values(v).forEach(words);
    };
    words((await berth.api('GET', '/api/v1/users')).body);
    words((await berth.api('GET', '/api/v1/roles')).body);
    words((await berth.api('GET', '/api/v1/role-bindings')).body);
    words((await berth.api('GET', '/api/v1/tokens?all=true')).body);
    words((await berth.api('GET', '/api/v1/apps')).body);
    const check = async (name: string): Promise<void> => {
      const t = await text();
      const english: string[] = [];
      for (const line of t.split('\n'))
        for (const w of line.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? [])
          if (!allowed.has(w) && w.length > 1) english.push(`${name}: ${w} (in "${line.trim().slice(0, 80)}")`);
      expect(english).toEqual([]);
      await b.shot(`access-${name}-zh-CN`);
    };
    await page.goto(`${berth.url}/access?tab=users`);
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await expect.poll(text).toContain('服务账号');
    await check('users');
    await page.getByTestId('tab-tokens').click();
    await expect.poll(text).toContain('我的令牌');
    await check('tokens');
    await page.getByTestId('tab-roles').click();
    await expect.poll(text).toContain('内置');
    await check('roles');
    await page.getByTestId('tab-bindings').click();
    await expect.poll(text).toContain('用户组');
    await check('bindings');
    expect(b.errors).toEqual([]);
  });
});
