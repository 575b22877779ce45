/**
 * The console during progressive delivery and traffic policy, in a real browser against the real
 * control plane and examples/canary: a canary held at a manual gate shows both tracks at 50% with
 * the rollout's step; Promote (fully) from the services page finishes the release and the canary
 * track goes; Abort sends a second one back; a rate limit set in the Policies view (after a refused
 * one showing its field path) is a `policy` revision followed live, and the edge enforces it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyExample, startBerth, type Berth, type CliResult } from './harness.js';
import { openConsole, type ConsoleBrowser } from './consoleBrowser.js';

const APP = 'canary-demo';
const SERVICES = `/apps/${APP}/local/services`;
let berth: Berth;
let b: ConsoleBrowser;
let dir: string;
let edge: string;

interface Release {
  revision: number;
  kind: string;
  status: string;
  reason: string | null;
  reasonMessage?: { code: string; params: Record<string, unknown> };
}

/** The version the edge answers with, over `n` requests. */
async function versions(n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add(((await (await fetch(edge)).json()) as { version: string }).version);
  return seen;
}

/** Sets VERSION and starts a deploy through the CLI; it runs until the canary is promoted or aborted. */
async function deployVersion(version: string): Promise<{ done: Promise<CliResult> }> {
  expect((await berth.cli(['config', 'set', `VERSION=${version}`, '--app', APP])).code).toBe(0);
  // wrapped: an async function returning the promise itself would wait for the deploy to end
  return { done: berth.cli(['deploy', dir]) };
}

/** Waits in the browser for the api service to run both tracks at 50%, the canary's replica ready. */
async function bothTracksAtHalf(): Promise<void> {
  const { page } = b;
  await page.goto(`${berth.url}${SERVICES}`);
  const canary = page.locator('[data-tracks="api"] [data-track="canary"]');
  await expect.poll(() => canary.getAttribute('data-weight'), { timeout: 30_000 }).toBe('50');
  await expect.poll(() => canary.locator('[data-track-ready]').textContent(), { timeout: 30_000 }).toBe('1/1');
  expect(await page.locator('[data-tracks="api"] [data-track="stable"]').getAttribute('data-weight')).toBe('50');
  await expect
    .poll(() => page.locator('[data-tracks="api"] [data-rollout]').textContent())
    .toBe('canary step 2/3: waiting for promote');
}

beforeAll(async () => {
  dir = await copyExample('canary');
  // The token's owner is the author of what the console does (never a name the page sends).
  berth = await startBerth({ env: { BERTH_TOKEN_OWNER: 'ana' } });
  const first = await berth.cli(['deploy', dir]);
  expect(first.code, first.stderr).toBe(0);
  // a manual gate, as in test/e2e/progressive.test.ts: 50%, then wait for promote
  const original = await readFile(join(dir, 'berth.yaml'), 'utf8');
  const gate = 'type: canary\nsteps:\n  - weight: 50\n  - pause: manual\nanalysis: false';
  await writeFile(
    join(dir, 'berth.yaml'),
    original.replace(/ {4}strategy:\n(?: {6}.*\n)+/, `    strategy:\n${gate.replace(/^/gm, '      ')}\n`),
  );
  const st = await berth.api<{ edge: { url: string } }>('GET', `/api/v1/apps/${APP}/envs/local/status`);
  edge = st.body.edge.url;
  b = await openConsole(berth);
});
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
});

describe('the console during a canary and with traffic policy', () => {
  it('shows both tracks at 50% with the rollout step, and promotes fully from the services page', async () => {
    const deploy = await deployVersion('2');
    await bothTracksAtHalf();
    expect(await versions(30)).toEqual(new Set(['1', '2']));
    await b.shot('canary-tracks');

    const { page } = b;
    await page.getByTestId('promote-api').click();
    await page.getByTestId('promote-full').check();
    await b.shot('canary-promote');
    const sent = page.waitForRequest((r) => r.url().endsWith('/services/api/promote'));
    await page.getByTestId('confirm-promote').click();
    expect((await sent).postDataJSON()).toEqual({ full: true });
    await page.getByText(/Full promotion of api requested in revision 2/).waitFor();

    const done = await deploy.done;
    expect(done.code, done.stderr + done.stdout).toBe(0);
    await expect.poll(() => page.locator('[data-track="canary"]').count(), { timeout: 30_000 }).toBe(0);
    expect(await page.locator('[data-tracks="api"]').textContent()).toBe('stable');
    expect(await versions(10)).toEqual(new Set(['2']));
    await b.shot('canary-promoted');

    await page.goto(`${berth.url}/apps/${APP}/local/releases`);
    const newest = page.locator('.releases-table tbody tr').first();
    await expect.poll(() => newest.locator('[data-status]').getAttribute('data-status')).toBe('succeeded');
    expect(await newest.textContent()).toContain('#2');
  });

  it('aborts a canary from the services page: traffic back to stable, the release fails', async () => {
    const deploy = await deployVersion('3');
    await bothTracksAtHalf();
    const { page } = b;
    await page.getByTestId('abort-api').click();
    await page.getByTestId('confirm-abort').click();
    await page.getByText(/Abort of api requested in revision 3/).waitFor();
    expect((await deploy.done).code).toBe(1);
    await expect.poll(() => page.locator('[data-track="canary"]').count(), { timeout: 30_000 }).toBe(0);
    expect(await versions(10)).toEqual(new Set(['2']));
    const releases = (await berth.api<Release[]>('GET', `/api/v1/apps/${APP}/envs/local/releases`)).body;
    const aborted = releases.find((r) => r.revision === 3)!;
    expect(aborted).toMatchObject({ kind: 'deploy', status: 'failed' });
    expect(aborted.reason).toMatch(/api: aborted by ana/);
    // beside the English text, the code and params the console translates
    expect(aborted.reasonMessage).toMatchObject({ code: 'release.aborted', params: { service: 'api', by: 'ana' } });
    // and the automatic rollback to revision 2 that follows it
    expect(releases[0]).toMatchObject({ revision: 4, kind: 'auto-rollback', status: 'succeeded' });
  });

  it('sets a rate limit from the Policies view as a policy revision, after showing a refused one', async () => {
    const { page } = b;
    await page.goto(`${berth.url}/apps/${APP}/local/policies`);
    const row = page.locator('.policies-table tbody tr', { hasText: 'api' }).first();
    await row.getByText('none').first().waitFor();
    await page.getByTestId('edit-policy-service:api').click();
    const yaml = page.getByTestId('policy-yaml');
    await yaml.fill('rateLimit:\n  requestsPerSecond: 0\n');
    await page.getByTestId('save-policy').click();
    const problem = page.getByRole('dialog').locator('.problem-path');
    await problem.first().waitFor();
    expect(await problem.first().textContent()).toBe('policy.rateLimit.requestsPerSecond');
    expect(b.errors.splice(0)).toEqual([expect.stringContaining('status of 400')]);
    await b.shot('policy-error');

    await yaml.fill('rateLimit:\n  requestsPerSecond: 2\n  burst: 4\ntimeout: 5s\n');
    const put = page.waitForResponse((r) => r.url().endsWith('/services/api/policy') && r.status() === 202);
    await page.getByTestId('save-policy').click();
    const { revision } = (await (await put).json()) as Release;
    const progress = page.locator(`.release-progress[data-revision="${revision}"]`);
    await expect.poll(() => progress.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    expect(await progress.textContent()).toContain('traffic policy');
    await row.getByText('rate limit 2/s, burst 4').waitFor();
    expect(await row.textContent()).toContain('timeout 5s');
    await b.shot('policies');

    const answers: number[] = [];
    for (let i = 0; i < 12; i++) answers.push((await fetch(edge)).status);
    expect(answers.filter((s) => s === 200).length).toBeLessThanOrEqual(6);
    expect(answers).toContain(429);
    const [last] = (await berth.api<Release[]>('GET', `/api/v1/apps/${APP}/envs/local/releases`)).body;
    expect(last).toMatchObject({ revision, kind: 'policy', status: 'succeeded' });

    // the editor shows the policy in force in berth.yaml's form; clearing it is another revision
    await page.getByTestId('edit-policy-service:api').click();
    expect(await yaml.inputValue()).toBe('rateLimit:\n  requestsPerSecond: 2\n  burst: 4\ntimeout: 5s\n');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('clear-policy-service:api').click();
    const clear = page.waitForResponse((r) => r.url().endsWith('/services/api/policy') && r.status() === 202);
    await page.getByTestId('confirm-clear').click();
    expect(((await (await clear).json()) as Release).revision).toBe(revision + 1);
    const cleared = page.locator(`.release-progress[data-revision="${revision + 1}"]`);
    await expect.poll(() => cleared.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    await expect.poll(() => row.locator('[data-policy-summary]').count()).toBe(0);
  });

  it('raised no console errors on any page', () => {
    expect(b.errors).toEqual([]);
  });
});
