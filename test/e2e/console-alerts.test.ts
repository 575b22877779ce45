/**
 * The alerts page in a real browser against the real control plane and a real app: a rules file
 * checked in the page (its problems named by line and field), then applied; an error-rate rule that
 * fires after real traffic through the gateway shows firing; a silence made in the page shows and
 * ends; the history shows the transitions and the deliveries to a real receiver on 127.0.0.1 — in
 * English and in simplified Chinese (no English left but the app's own names and values), with no
 * console errors.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../src/alerts/testing.js';
import { openConsole, type ConsoleBrowser, pageText } from './consoleBrowser.js';
import { startBerth, writeApp, type Berth } from './harness.js';

const APP = 'alerts-console';
const BASE = `/apps/${APP}/local/alerts`;

/** Answers 500 while data/fail exists, 200 otherwise. */
const SERVICE = `
import { createServer } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
mkdirSync('data', { recursive: true });
createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  if (existsSync('data/fail')) { res.statusCode = 500; return res.end('broken'); }
  res.end('fine');
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

let berth: Berth;
let b: ConsoleBrowser;
let receiver: Receiver;
let dir: string;
let edge: string;

beforeAll(async () => {
  receiver = await startReceiver();
  dir = await writeApp('alerts-console', {
    'orders.mjs': SERVICE,
    'berth.yaml': [
      `name: ${APP}`,
      'services:',
      '  orders:',
      '    command: node orders.mjs',
      '    ports: [8080]',
      '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
      'routes:',
      '  - { path: /, service: orders }',
    ],
  });
  berth = await startBerth({ env: { BERTH_ALERT_INTERVAL: '1s' } });
  const deployed = await berth.cli(['deploy', dir]);
  expect(deployed.code, deployed.stderr).toBe(0);
  edge = (await berth.json<{ edge: { url: string } }>(['status', APP])).edge.url;
  b = await openConsole(berth);
}, 60_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  await receiver?.close();
});

/** Requests through the gateway every 20 ms until the returned stop is called. */
function traffic(): () => Promise<void> {
  let stop = false;
  const load = (async () => {
    while (!stop) {
      await fetch(edge).then(
        (r) => r.text(),
        () => '',
      );
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    stop = true;
    await load;
  };
}

const field = (id: string) =>
  b.page.locator(`[data-testid="${id}"]:is(input, textarea), [data-testid="${id}"] :is(input, textarea)`).first();

describe('the alerts page', () => {
  it('checks a rules file, applies it, shows the alert firing after real traffic, a silence made here, and the history', async () => {
    const { page } = b;
    await page.goto(`${berth.url}${BASE}`);
    await page.waitForSelector('[data-page="alerts"]');
    await page.getByText('No alert rule yet: apply a rules file').first().waitFor();

    // A bad file: every problem with its line and field, nothing written.
    await field('rules-file').fill(
      ['rules:', '  orders-errors:', '    metric: cpu-temperature', '    severity: loud'].join('\n'),
    );
    const errorsBefore = b.errors.length;
    await page.getByTestId('check-rules').click();
    const problems = page.getByTestId('rules-problems');
    await expect.poll(() => problems.textContent()).toContain('rules.orders-errors.metric');
    // The browser logs the refused check (a 400) as a console error: that one, and nothing else, is expected.
    expect(b.errors.splice(errorsBefore)).toEqual([expect.stringContaining('status of 400 (Bad Request)')]);
    expect(await problems.textContent()).toContain('alerts.yaml:3');
    expect(await problems.textContent()).toContain('rules.orders-errors.severity');
    expect(await problems.textContent()).toContain('alerts.yaml:4');

    // A good one: previewed, then applied.
    await field('rules-file').fill(
      [
        'rules:',
        '  orders-errors:',
        '    metric: error-rate',
        '    threshold: 0.5',
        '    for: 1s',
        '    severity: critical',
        '    notify:',
        `      - { type: webhook, url: "${receiver.url}/hook?token=t0ken" }`,
      ].join('\n'),
    );
    await page.getByTestId('check-rules').click();
    await expect.poll(() => page.getByTestId('rules-preview').textContent()).toContain('Rules ready to apply: 1');
    expect(await page.getByTestId('rules-table').textContent()).not.toContain('orders-errors');
    await page.getByTestId('apply-rules').click();
    await expect.poll(() => page.getByTestId('rules-table').textContent()).toContain('orders-errors');
    const rulesText = (await page.getByTestId('rules-table').textContent()) ?? '';
    expect(rulesText).toContain('error rate');
    expect(rulesText).toContain('webhook');
    expect(rulesText).not.toContain('t0ken');

    // Real traffic that fails: the alert fires, shows firing, and its notification reaches the receiver.
    const stop = traffic();
    try {
      await writeFile(join(dir, 'data', 'fail'), '');
      const firing = page.locator('[data-alert="orders-errors/orders"][data-phase="firing"]');
      await firing.waitFor({ timeout: 15_000 });
      expect(await firing.textContent()).toMatch(/orders-errors.*orders.*firing/);
      await receiver.waitFor(1, 15_000);

      // A silence made in the page: for 30 minutes, this rule.
      await field('silence-for').fill('30m');
      await page.getByTestId('silence-rule').click();
      await page.locator('.ant-select-item-option[title="orders-errors"]').click();
      await field('silence-comment').fill('db migration');
      await page.getByTestId('create-silence').click();
      const silence = page.locator('[data-testid="silences-table"] [data-silence]');
      await expect.poll(() => silence.first().textContent()).toContain('db migration');
      expect(await silence.first().textContent()).toContain('orders-errors');
      const silences = await berth.json<{ rule: string; comment: string }[]>(['alerts', 'silences', APP]);
      expect(silences).toMatchObject([{ rule: 'orders-errors', comment: 'db migration' }]);

      // Healthy again: the alert resolves while silenced, so its notification is not sent.
      await rm(join(dir, 'data', 'fail'));
      await page.locator('[data-testid="history-table"] tr[data-kind="silenced"]').first().waitFor({ timeout: 15_000 });
    } finally {
      await stop();
    }
    expect(receiver.received).toHaveLength(1);
    const history = page.locator('[data-testid="history-table"]');
    for (const kind of ['pending', 'firing', 'delivered', 'resolved', 'silenced'])
      expect(await history.locator(`tr[data-kind="${kind}"]`).count(), kind).toBeGreaterThan(0);
    expect(await history.locator('tr[data-kind="delivered"]').first().textContent()).toMatch(
      /delivered\s*firing notification.*webhook.*tries: 1/,
    );
    await b.shot('alerts-en');

    // Ended from the page.
    await page.locator('[data-testid^="expire-"]').first().click();
    await expect.poll(() => page.getByTestId('silences-table').textContent()).toContain('No active silence');
  }, 90_000);

  it('shows the same page in simplified Chinese with no English but the app’s own names and values, and no console errors', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    await page.goto(`${berth.url}${BASE}`);
    await page.waitForSelector('[data-page="alerts"]');
    await page.locator('[data-testid="history-table"] tr[data-kind="delivered"]').first().waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    const text = await pageText(page);
    expect(text).toContain('规则');
    expect(text).toContain('已投递');
    expect(text).toContain('通知已静默');
    expect(text).toContain('错误率');
    // The app's own names and values: the app, its service, the rule, the channel type, the comment.
    const allowed = new Set([
      'Berth',
      'YAML',
      'alerts',
      'console',
      'local',
      'orders',
      'errors',
      'webhook',
      'http',
      'db',
      'migration',
      'ms',
      'p99',
      'rules',
      'tester',
      'PM',
      'AM',
    ]);
    const english = (text.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []).filter(
      (w) => w.length > 1 && !allowed.has(w) && !w.startsWith('alerts-') && !w.startsWith('orders-'),
    );
    expect(english).toEqual([]);
    await b.shot('alerts-zh-CN');
    expect(b.errors).toEqual([]);
  }, 30_000);
});
