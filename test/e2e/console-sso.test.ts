/**
 * Single sign-on in the console, in Chromium (issue 18, points 5 and 6): a real control plane configured
 * with BERTH_OIDC_* for a real OpenID provider (oidc-provider in this process on 127.0.0.1,
 * test/support/oidcProvider.ts). A page asked for leads to the sign-in page; "Sign in with SSO" goes to
 * the provider, whose login and consent pages the test fills in the browser; back on the page asked for,
 * signed in: the header names the user and SSO, what the user's group grants (apps:deploy, through a
 * group binding to `deployer`) is enabled and what it does not (config:write) is disabled with the
 * reason; sign-out leads to the sign-in page and the cookie is refused. A sign-in cancelled at the
 * provider (its `access_denied`) lands on the sign-in page with the failure in words, from where SSO
 * again returns to the page first asked for. In English, then in
 * simplified Chinese (no English on the sign-in page but the product's name and acronyms), with no
 * console error.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type ConsoleBrowser } from './consoleBrowser.js';
import { startBerth, writeApp, type Berth } from './harness.js';
import { bindGroup } from '../support/identities.js';
import { startOidcProvider, type TestProvider } from '../support/oidcProvider.js';

const SECRET = 'berth-test-client-secret-console-sso';
const USER = 'erin';
const RELEASES = '/apps/tiny/local/releases';

let op: TestProvider;
let berth: Berth;
let dir: string;
let b: ConsoleBrowser | undefined;

beforeAll(async () => {
  op = await startOidcProvider({ [USER]: { groups: ['deployers'], name: 'Erin Example' } });
  berth = await startBerth({
    env: { BERTH_OIDC_ISSUER: op.issuer, BERTH_OIDC_CLIENT_ID: 'berth', BERTH_OIDC_CLIENT_SECRET: SECRET },
  });
  await op.addClient({ clientId: 'berth', secret: SECRET, redirectUri: `${berth.url}/api/v1/sso/callback` });
  await bindGroup(berth.home, 'deployers', 'deployer');
  dir = await writeApp('tiny', {
    'server.mjs': [
      "import { createServer } from 'node:http';",
      "createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');",
      "process.on('SIGTERM', () => process.exit(0));",
    ],
    'berth.yaml': ['name: tiny', 'services:', '  web:', '    command: node server.mjs'],
  });
  const r = await berth.cli(['deploy', dir, '-m', 'first']);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  await op?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A fresh browser (no session at the provider either); the provider page's web font is not fetched. */
async function open(locale: string): Promise<ConsoleBrowser> {
  await b?.close();
  b = await openBrowser({ locale });
  // traffic stays on 127.0.0.1: the provider's development pages @import a font from the internet
  await b.page
    .context()
    .route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (r) => r.fulfill({ status: 200, contentType: 'text/css', body: '' }));
  return b;
}

/** The reason a guarded control gives (its tooltip's text), or null when it is allowed. */
async function reasonOf(testId: string): Promise<string | null> {
  const guard = b!.page.locator(`[data-denied]:has([data-testid="${testId}"])`);
  return (await guard.count()) === 0 ? null : guard.getAttribute('data-reason');
}

/** From a page of the console: to the sign-in page, whose SSO button (in `label`) goes to the provider. */
async function toProvider(label: string): Promise<void> {
  const { page } = b!;
  await page.goto(`${berth.url}${RELEASES}`);
  await page.waitForURL('**/signin');
  await ssoButton(label);
}

/** On the sign-in page: its "Sign in with SSO" (in `label`) clicked, to the provider's login page. */
async function ssoButton(label: string): Promise<void> {
  const { page } = b!;
  const sso = page.getByTestId('sso');
  expect(await sso.innerText()).toContain(label);
  await sso.click();
  await page.waitForURL(`${op.issuer}/interaction/**`);
  await page.locator('input[name="login"]').waitFor();
}

/** On the provider's pages: its login form (any password), then its consent form, as the user would. */
async function signInAtProvider(): Promise<void> {
  const { page } = b!;
  await page.locator('input[name="login"]').fill(USER);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** Back on the page asked for, signed in with SSO: who, how, and what the group's binding allows. */
async function expectSignedIn(method: string, need: string): Promise<void> {
  const { page } = b!;
  await page.waitForURL(`${berth.url}${RELEASES}`);
  await page.waitForSelector('[data-page="releases"] .releases-table tbody tr[data-row-key]');
  expect(await page.getByTestId('user-name').textContent()).toBe(USER);
  expect(await page.getByTestId('user-method').textContent()).toBe(method);
  // deployer: apps:deploy is granted, config:write is not
  expect(await page.getByTestId('deploy').isDisabled()).toBe(false);
  expect(await reasonOf('deploy')).toBeNull();
  await page.goto(`${berth.url}/apps/tiny/local/config`);
  await page.waitForSelector('[data-page="config"] .values-editor');
  expect(await page.getByTestId('review').isDisabled()).toBe(true);
  expect(await reasonOf('review')).toBe(need);
}

/** Signs out from the header: the sign-in page, and the session's cookie refused by the server. */
async function signOut(): Promise<void> {
  const { page } = b!;
  const cookie = (await page.context().cookies()).find((c) => c.name === 'berth_session');
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
  const me = () => fetch(`${berth.url}/api/v1/me`, { headers: { cookie: `berth_session=${cookie!.value}` } });
  expect(await (await me()).json()).toMatchObject({ name: USER, via: 'session', signedInWith: 'sso' });
  await page.getByTestId('user-menu').click();
  await page.getByTestId('sign-out').click();
  await page.waitForURL('**/signin');
  await page.waitForSelector('[data-page="signin"]');
  await expect.poll(async () => (await me()).status).toBe(401);
  await page.goto(`${berth.url}${RELEASES}`);
  await page.waitForURL('**/signin');
}

describe('single sign-on in the console', () => {
  it('says a sign-in cancelled at the provider in words, then signs in with SSO and out (English)', async () => {
    const { page, errors } = await open('en-US');
    await toProvider('Sign in with SSO');
    // the user cancels at the provider: it answers access_denied, the control plane opens no session
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    await page.waitForURL(`${berth.url}/signin?error=sso_provider_error&to=${encodeURIComponent(RELEASES)}`);
    await expect
      .poll(() => page.getByTestId('sso-error').innerText())
      .toBe(
        'The identity provider refused the sign-in, or it was cancelled there. Sign in again, or ask an administrator.',
      );
    expect((await page.context().cookies()).find((c) => c.name === 'berth_session')).toBeUndefined();
    await b!.shot('sso-refused');

    // again from there: still back to the page first asked for
    await ssoButton('Sign in with SSO');
    await signInAtProvider();
    await expectSignedIn('SSO', 'Needs config:write on tiny in local');
    await b!.shot('sso-signed-in');
    await signOut();
    expect(errors).toEqual([]);
  });

  it('does the same in simplified Chinese', async () => {
    const { page, errors } = await open('zh-CN');
    await toProvider('使用单点登录');
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    await page.waitForURL(`${berth.url}/signin?error=sso_provider_error&to=${encodeURIComponent(RELEASES)}`);
    await expect
      .poll(() => page.getByTestId('sso-error').innerText())
      .toBe('身份提供方拒绝了登录，或登录在那里被取消。请重新登录，或联系管理员。');
    // no English on the sign-in page but the product's name and acronyms
    const words = (await page.locator('[data-page="signin"]').innerText()).match(/[A-Za-z][A-Za-z_-]*/g) ?? [];
    expect(new Set(words)).toEqual(new Set(['Berth', 'API']));
    await b!.shot('sso-refused-zh-CN');

    await ssoButton('使用单点登录');
    await signInAtProvider();
    await expectSignedIn('单点登录', '需要 tiny 在 local 中的 config:write 权限');
    expect(await page.getByTestId('user-menu').innerText()).toMatch(/^erin\s*单点登录$/);
    await signOut();
    expect(errors).toEqual([]);
  });
});
