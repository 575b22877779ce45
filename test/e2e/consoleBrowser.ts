/**
 * A headless Debian chromium driven by playwright-core for the console's end-to-end tests: one page
 * that records every console error and uncaught exception, and screenshots under test-results/console/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './harness.js';

/** Where screenshots of every page go. */
export const SHOTS = join(ROOT, 'test-results/console');

export interface ConsoleBrowser {
  browser: Browser;
  page: Page;
  /** Console errors and page errors seen so far, with the URL they happened on. */
  errors: string[];
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A load Chromium aborted because the machine's network interfaces changed while it was in flight
 * (`net::ERR_NETWORK_CHANGED`: another test's podman network or veth coming or going — CI runs the two
 * Node lines side by side). That is the host, not the console: the console loads the data again on its
 * next refresh, and an error the page itself reports (an uncaught rejection, an error it logs) is still
 * counted. Seen once in CI: eight such lines on a page that otherwise rendered right.
 */
export function hostNetworkChanged(text: string): boolean {
  return /^Failed to load resource: net::ERR_NETWORK_CHANGED$/.test(text);
}

/** Launches chromium (BERTH_CHROMIUM overrides /usr/bin/chromium) with one page, 1440×900 unless told. */
export async function openBrowser(
  opts: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<ConsoleBrowser> {
  await mkdir(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    locale: opts.locale ?? 'en-US',
    // The console then turns Ant Design's animations off: a click lands where the element is, never
    // on a dialog still zooming in (a click that then hit the dialog's body did nothing, once in CI).
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !hostNetworkChanged(m.text())) errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: uncaught ${e.stack ?? e.message}`));
  return {
    browser,
    page,
    errors,
    async shot(name) {
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close();
    },
  };
}

/** Opens the console of a control plane signed in with its token (`openBrowser`'s options), on the overview. */
export async function openConsole(
  cp: { url: string; token: string },
  opts: Parameters<typeof openBrowser>[0] = {},
): Promise<ConsoleBrowser> {
  const b = await openBrowser(opts);
  await b.page.goto(`${cp.url}/#token=${encodeURIComponent(cp.token)}`);
  await b.page.waitForSelector('[data-page="overview"]');
  return b;
}

/**
 * The page's title and visible text, without what is marked `data-server-text` (words the console shows
 * as the server or a user wrote them: the signed-in user's name, a cluster's own event text) — what a
 * "no English left in zh-CN" check reads. `alsoLeaveOut`: more selectors of such text (log lines, replica names).
 */
export async function pageText(page: Page, alsoLeaveOut: string[] = []): Promise<string> {
  const selector = JSON.stringify(['[data-server-text]', ...alsoLeaveOut].join(', '));
  return String(
    await page.evaluate(`(() => {
      const body = document.body.cloneNode(true);
      for (const n of body.querySelectorAll(${selector})) n.remove();
      body.style.position = 'absolute';
      document.body.append(body);
      const inner = body.innerText;
      body.remove();
      return document.title + '\\n' + inner;
    })()`),
  );
}
