/**
 * The console's audit log page in Chromium against a real control plane: an environment created, a
 * config change with a secret and a call refused to another user show in the table with actor,
 * operation, target, outcome and address; a row's summary shows the secret masked; the filter narrows
 * to the refusal; "verify chain" says the chain is intact; the export downloads JSON lines; then the
 * same page in simplified Chinese with no English but the API's own names, and no console error.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsole, type ConsoleBrowser } from './consoleBrowser.js';
import { startBerth, type Berth } from './harness.js';
import { addUser } from '../support/identities.js';

const OWNER = 'ops-lead';
const SECRET = 'console-audit-secret-value';
let berth: Berth;
let b: ConsoleBrowser;

beforeAll(async () => {
  berth = await startBerth({ env: { BERTH_TOKEN_OWNER: OWNER } });
  expect((await berth.api('POST', '/api/v1/environments', { name: 'staging' })).status).toBe(201);
  const config = await berth.api('PATCH', '/api/v1/apps/shop/envs/staging/config', {
    baseVersion: 0,
    set: { GREETING: 'hello', DATABASE_URL: { value: SECRET, secret: true } },
  });
  expect(config.status).toBe(201);
  const dev = await addUser(berth.home, { name: 'dev', bindings: [{ role: 'viewer' }] });
  expect((await berth.api('DELETE', '/api/v1/environments/staging', undefined, { token: dev })).status).toBe(403);
  b = await openConsole(berth);
}, 60_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
});

/** The table's rows as [actor, operation, target, outcome]. */
async function rows(): Promise<string[][]> {
  return (await b.page.evaluate(`[...document.querySelectorAll('[data-testid="audit-table"] tbody tr[data-seq]')]
    .map((r) => ['actor', 'operation', 'target', 'outcome'].map((c) => (r.querySelector('[data-col="' + c + '"]')?.textContent ?? '').trim()))`)) as string[][];
}

async function open(): Promise<void> {
  await b.page.goto(`${berth.url}/audit`);
  await b.page.waitForSelector('[data-testid="audit-table"] tbody tr[data-seq]');
}

describe('the audit log page', () => {
  it('shows who changed what with the outcome, the masked summary, a filter, the chain check and the export', async () => {
    const { page } = b;
    await open();
    expect(await rows()).toEqual([
      ['dev (user)', 'deleteEnvironment', 'staging', 'Refused 403'],
      [`${OWNER} (user)`, 'changeConfig', 'shop / staging', 'Done 201'],
      [`${OWNER} (user)`, 'createEnvironment', 'staging', 'Done 201'],
    ]);
    expect(await page.locator('[data-testid="audit-table"] tbody tr[data-seq]').first().textContent()).toContain(
      '127.0.0.1',
    );
    // The config change's summary: the plain value, the secret masked.
    await page.locator('tr[data-seq="2"] .ant-table-row-expand-icon').click();
    const summary = (await page.locator('[data-summary="2"]').textContent()) ?? '';
    expect(summary).toContain('"GREETING"');
    expect(summary).toContain('******');
    expect(String(await page.evaluate('document.body.innerText'))).not.toContain(SECRET);
    // The refusal's message names the permission.
    await page.locator('tr[data-seq="3"] .ant-table-row-expand-icon').click();
    expect(await page.locator('[data-summary="3"]').textContent()).toContain('environments:write');
    await b.shot('audit-en');

    await page.locator('[data-filter="outcome"]').click();
    await page.getByTitle('Refused / Failed').click();
    await page.waitForFunction(
      `document.querySelectorAll('[data-testid="audit-table"] tbody tr[data-seq]').length === 1`,
    );
    expect((await rows()).map((r) => r[1])).toEqual(['deleteEnvironment']);

    await page.locator('[data-action="verify"]').click();
    await page.waitForSelector('[data-testid="audit-verification"]');
    expect(await page.getByTestId('audit-verification').textContent()).toContain('The chain is intact: 3 entries');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-action="export"]').click(),
    ]);
    const lines = (await readFile((await download.path())!, 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { operation: { id: string } }).operation.id)).toEqual([
      'deleteEnvironment',
    ]);
  });

  it('reads in simplified Chinese with no English but the API’s names, and raised no console errors', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    await open();
    expect((await rows()).map((r) => r[3])).toEqual(['已拒绝 403', '完成 201', '完成 201']);
    await page.locator('[data-action="verify"]').click();
    await page.waitForSelector('[data-testid="audit-verification"]');
    expect(await page.getByTestId('audit-verification').textContent()).toContain('哈希链完整');
    const text = String(await page.evaluate("document.title + '\\n' + document.body.innerText"));
    // Who acted, the operations (OpenAPI operationIds), the app and environments are the API's own names.
    const allowed = new Set(['Berth', 'JSON', 'API', 'ops-lead', 'dev', 'shop', 'staging', 'local', OWNER]);
    for (const w of ['deleteEnvironment', 'changeConfig', 'createEnvironment']) allowed.add(w);
    const english = (text.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []).filter((w) => w.length > 1 && !allowed.has(w));
    expect(english).toEqual([]);
    await b.shot('audit-zh-CN');
    expect(b.errors).toEqual([]);
  });
});
