/**
 * The console at a laptop's 1280×800 and in simplified Chinese, in a real browser against the real
 * control plane, during a canary held at a manual gate (examples/canary with long route hosts, so
 * the services table is wider than the screen): Restart, Promote and Abort stay on screen; the
 * Promote dialog says what it will do, and says "Promote fully" once that is chosen; every page in
 * zh-CN shows no English but the names and values of the app itself, including the rollout's step,
 * which the server sends as a code the console translates.
 */
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyExample, startBerth, type Berth, type CliResult } from './harness.js';
import { openConsole, type ConsoleBrowser, pageText } from './consoleBrowser.js';

const APP = 'canary-demo';
const BASE = `/apps/${APP}/local`;
const WIDTH = 1280;
let berth: Berth;
let b: ConsoleBrowser;
let deploy: Promise<CliResult>;
let dir: string;
/** berth.yaml as the first revision deployed it (a plan or diff may name its fields). */
let original: string;

beforeAll(async () => {
  dir = await copyExample('canary');
  berth = await startBerth();
  original = await readFile(join(dir, 'berth.yaml'), 'utf8');
  const hosts = [1, 2, 3, 4].map((i) => `canary-demo-api-${i}.internal.example-company.test`);
  const routes = `routes:\n${hosts.map((h) => `  - { host: ${h}, path: /, service: api }`).join('\n')}\n`;
  await writeFile(join(dir, 'berth.yaml'), original.replace(/^routes:\n(?: {2}.*\n)+/m, routes));
  const first = await berth.cli(['deploy', dir]);
  expect(first.code, first.stderr).toBe(0);
  // a manual gate, as in console-canary.test.ts: 50%, then wait for promote
  const gate = 'type: canary\nsteps:\n  - weight: 50\n  - pause: manual\nanalysis: false';
  const withRoutes = await readFile(join(dir, 'berth.yaml'), 'utf8');
  await writeFile(
    join(dir, 'berth.yaml'),
    withRoutes.replace(/ {4}strategy:\n(?: {6}.*\n)+/, `    strategy:\n${gate.replace(/^/gm, '      ')}\n`),
  );
  expect((await berth.cli(['config', 'set', 'VERSION=2', '--app', APP])).code).toBe(0);
  deploy = berth.cli(['deploy', dir]);
  b = await openConsole(berth, { viewport: { width: WIDTH, height: 800 } });
}, 120_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
});

/** Every word of every string in `value` (the app's own names and values may show on any page). */
function wordsOf(value: unknown, into: Set<string>): Set<string> {
  if (typeof value === 'string') for (const w of value.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []) into.add(w);
  else if (Array.isArray(value)) for (const v of value) wordsOf(v, into);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) wordsOf([k, v], into);
  return into;
}

describe('the console at 1280×800 and in simplified Chinese', () => {
  it('keeps Restart, Promote and Abort on screen in the services table', async () => {
    const { page } = b;
    await page.goto(`${berth.url}${BASE}/services`);
    const promote = page.getByTestId('promote-api');
    await promote.waitFor({ timeout: 60_000 });
    // the table is wider than the screen: it scrolls, the actions do not
    const table = await page.locator('.services-table table').first().boundingBox();
    expect(table!.width).toBeGreaterThan(WIDTH - 200);
    for (const id of ['restart-api', 'promote-api', 'abort-api']) {
      const button = page.getByTestId(id);
      const box = (await button.boundingBox())!;
      expect(box.x, id).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, id).toBeLessThanOrEqual(WIDTH);
      // and nothing covers it: the element at its centre (viewport coordinates, like the box) is the button
      const probe = `document.elementFromPoint(${box.x + box.width / 2}, ${box.y + box.height / 2})?.closest('[data-testid="${id}"]') != null`;
      const onTop = await page.evaluate(probe);
      expect(onTop, id).toBe(true);
    }
    await b.shot('services-1280');
  });

  it('says in the Promote dialog what a promotion does, and "Promote fully" once chosen', async () => {
    const { page } = b;
    await page.getByTestId('promote-api').click();
    const text = page.getByTestId('promote-text');
    await expect
      .poll(() => text.textContent())
      .toContain('The rollout leaves the current pause and goes on to its next step.');
    const ok = page.getByTestId('confirm-promote');
    expect((await ok.textContent())?.trim()).toBe('Promote');
    await page.getByTestId('promote-full').check();
    await expect
      .poll(() => text.textContent())
      .toContain('Skip every remaining step and check: the new version takes all traffic now.');
    await expect.poll(async () => (await ok.textContent())?.trim()).toBe('Promote fully');
    await b.shot('promote-fully-dialog');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  });

  it('shows no English on any page in zh-CN but the app’s own names and values', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    // What the app itself says (names, hosts, commands, values) may show in any language.
    const allowed = new Set(['Berth', 'HTTP', 'HTTPS', 'CPU', 'URL', 'YAML', 'JSON', 'API', 'TCP', 'UDP', 'SSE']);
    for (const unit of ['KiB', 'MiB', 'GiB', 'ms']) allowed.add(unit);
    const api = `/api/v1/apps/${APP}/envs/local`;
    for (const path of [
      '/api/v1/apps',
      '/api/v1/environments',
      `${api}/status`,
      `${api}/config`,
      `${api}/policy`,
      `${api}/variables`,
      `${api}/releases/1/rendered`,
      `${api}/releases/2/rendered`,
    ]) {
      const r = await berth.api('GET', path);
      if (r.status === 200) wordsOf(r.body, allowed);
    }
    // berth.yaml's own keys and values: a plan or diff names a change by its berth.yaml path
    // (`strategy.analysis.interval`); comments are left out.
    wordsOf(parse(original), allowed);
    wordsOf(parse(await readFile(join(dir, 'berth.yaml'), 'utf8')), allowed);
    for (const w of ['canary', 'demo', 'api', 'local', 'stable', 'http', 'node', 'server', 'js']) allowed.add(w);
    const english: string[] = [];
    for (const [path, pageId] of [
      ['/', 'overview'],
      ['/environments', 'environments'],
      [`${BASE}/services`, 'services'],
      [`${BASE}/config`, 'config'],
      [`${BASE}/releases`, 'releases'],
      [`${BASE}/logs`, 'logs'],
      [`${BASE}/policies`, 'policies'],
    ] as const) {
      await page.goto(`${berth.url}${path}`);
      await page.waitForSelector(`[data-page="${pageId}"]`);
      if (pageId === 'services')
        await expect.poll(() => page.locator('[data-rollout]').first().textContent()).toMatch(/等待推进/);
      if (pageId === 'logs') await page.waitForTimeout(1000);
      else await page.waitForLoadState('load');
      await page.waitForTimeout(500);
      expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
      // Release events' messages are translated (they come with a code and params); only a
      // cluster's own event text (Kubernetes events, none here) is marked `lang="en"` and left out.
      const text = await pageText(page);
      if (pageId === 'releases') {
        // The running release's events read in Chinese, the runtime's "started replica … pid …" too.
        expect(text).toMatch(/副本 \S+ 已启动（pid \d+，端口 \d+）/);
        expect(text).toMatch(/第 \d\/\d 步：新版本 \w+ 获得权重 \d+%/);
        // (the header's signed-in user name is the one server text outside the page itself)
        expect(await page.locator('[data-page] [data-server-text]').count()).toBe(0);
      }
      // log lines are the app's own output
      const shown =
        pageId === 'logs' ? text.split('\n').filter((l) => !/^\d{2}:\d{2}:\d{2}/.test(l)) : text.split('\n');
      for (const line of shown)
        // content hashes (bd0ce9c7, 056577b0) are names, in replica ids (api-6c0c4-17cfa) too
        for (const w of line
          .replace(/-?(?<![A-Za-z0-9])(?=[0-9a-f]*\d)[0-9a-f]{5,}(?![A-Za-z0-9])/g, '')
          .match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? [])
          // version labels (v3) are names too
          if (!allowed.has(w) && w.length > 1 && !/^v\d+$/.test(w))
            english.push(`${pageId}: ${w} (in "${line.trim().slice(0, 80)}")`);
      await b.shot(`${pageId}-zh-CN-1280`);
    }
    expect(english).toEqual([]);
  });

  it('lets the held canary be promoted fully from the zh-CN console, and raised no console errors', async () => {
    const { page } = b;
    await page.goto(`${berth.url}${BASE}/services`);
    await page.getByTestId('promote-api').click();
    await page.getByTestId('promote-full').check();
    await expect.poll(async () => (await page.getByTestId('confirm-promote').textContent())?.trim()).toBe('直接全量');
    await page.getByTestId('confirm-promote').click();
    const done = await deploy;
    expect(done.code, done.stderr + done.stdout).toBe(0);
    expect(b.errors).toEqual([]);
  });

  it('deploys from the console what `berth plan` shows, at the config version the plan was made with', async () => {
    const { page } = b;
    expect((await berth.cli(['config', 'set', 'VERSION=4', '--app', APP])).code).toBe(0);
    const cli = await berth.json<{ plan: { toConfigVersion: number; services: unknown } }>(['plan', dir]);
    const planned = page.waitForResponse((r) => r.url().endsWith('/api/v1/plans'));
    await page.goto(`${berth.url}${BASE}/releases?deploy=1`);
    const shown = (await (await planned).json()) as typeof cli;
    await page.getByTestId('deploy-plan').waitFor();
    // the same plan as the CLI's for the same berth.yaml and config
    expect(shown.plan).toEqual(cli.plan);
    // a config saved while the dialog is open is not deployed unplanned
    expect((await berth.cli(['config', 'set', 'VERSION=5', '--app', APP])).code).toBe(0);
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/v1/releases') && r.method() === 'POST');
    await page.getByTestId('confirm-deploy').click();
    const body = (await sent).postDataJSON() as { configVersion?: number };
    expect(body.configVersion).toBe(cli.plan.toConfigVersion);
  });
});
