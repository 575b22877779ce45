/**
 * The Pipelines page's Builds and Webhook deliveries tabs in Chromium against a real control plane: a
 * real `berth build` of a command-build service shows with its log followed while the command runs,
 * then built with its code snapshot's digest; a real signed GitHub push delivery shows with its outcome
 * and a link to the pipeline run it started, next to the hook URLs `berth hooks url` prints. The same
 * tabs in 简体中文 with no English left but the app's own names and values; no console errors.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildSummary } from '../../src/build/buildStore.js';
import type { HookDelivery } from '../../src/model/hookDelivery.js';
import { startGitServer, type GitServer, type TestRepo } from '../support/gitServer.js';
import { pushBody, sendGitHub } from '../support/webhookDelivery.js';
import { pageText, openBrowser, type ConsoleBrowser } from './consoleBrowser.js';
import { startBerth, type Berth } from './harness.js';

const APP = 'conbuild';
const BASE = `/apps/${APP}/local/pipelines`;
const SECRET = 'console-hook-secret';
const COMMIT = 'c0ffee0123456789abcdef0123456789abcdef01';
let berth: Berth;
let git: GitServer;
let repo: TestRepo;
let b: ConsoleBrowser;
let dir: string;

beforeAll(async () => {
  git = await startGitServer();
  repo = await git.repo(APP);
  dir = await mkdtemp(join(tmpdir(), 'berth-console-builds-'));
  await mkdir(join(dir, 'app/web'), { recursive: true });
  await writeFile(
    join(dir, 'app/berth.yaml'),
    `name: ${APP}\nservices:\n  web:\n    command: node server.mjs\n    cwd: ./web\n    build: { command: sh build.sh, output: dist }\n`,
  );
  await writeFile(
    join(dir, 'app/web/build.sh'),
    'echo compiling starts\nsleep 4\nmkdir -p dist && cp server.mjs dist/\necho compiling done\n',
  );
  await writeFile(join(dir, 'app/web/server.mjs'), "console.log('hi');\n");
  await writeFile(
    join(dir, 'pipeline.yaml'),
    [
      `source: { url: "${repo.url}", branch: main }`,
      'webhook: { secret: "${PIPELINE_SECRET}" }',
      'steps:',
      '  - test: { command: "echo hooked run" }',
      '',
    ].join('\n'),
  );
  berth = await startBerth({ env: { PIPELINE_SECRET: SECRET } });
  const set = await berth.cli(['pipeline', 'set', APP, '-f', join(dir, 'pipeline.yaml')], {
    env: { PIPELINE_SECRET: SECRET },
  });
  expect(set.code, set.stderr).toBe(0);
  b = await openBrowser();
  await b.page.goto(`${berth.url}/#token=${encodeURIComponent(berth.token)}`);
  await b.page.waitForSelector('[data-page="overview"]');
}, 90_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  await git?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const text = async (): Promise<string> => pageText(b.page);
const flat = async (): Promise<string> => (await text()).replace(/[ \t]+/g, ' ');

/** A signed GitHub push of `commit` to the app's hook, as GitHub sends it. */
async function push(commit: string, delivery: string): Promise<Response> {
  return sendGitHub(berth.url, APP, {
    event: 'push',
    deliveryId: delivery,
    secret: SECRET,
    body: await pushBody({ after: commit }),
  });
}

describe('the Pipelines page’s Builds and Webhook deliveries tabs', () => {
  it('follows a real build’s log while it runs, then shows each service’s result and snapshot digest', async () => {
    const { page } = b;
    await page.goto(`${berth.url}${BASE}?tab=builds`);
    await expect.poll(flat).toContain('No builds yet. Start one with: berth build --env local');
    const cli = berth.cli(['build', join(dir, 'app'), '--env', 'local', '--commit', COMMIT]);
    const log = page.getByTestId('build-log');
    // The command's first line shows while it sleeps: the log is followed, not read once at the end.
    await expect.poll(() => log.innerText().catch(() => ''), { timeout: 15_000 }).toContain('compiling starts');
    expect(await log.innerText()).not.toContain('compiling done');
    expect(await page.getByTestId('build-status').innerText()).toBe('Running');
    expect(await flat()).toContain('Followed live while the build runs');
    const done = await cli;
    expect(done.code, done.stderr).toBe(0);
    await expect.poll(() => log.innerText()).toContain('compiling done');
    await expect.poll(() => page.getByTestId('build-status').innerText()).toBe('Succeeded');

    const [build] = await berth.json<BuildSummary[]>(['builds', APP]);
    const web = build!.services[0]!;
    expect(web).toMatchObject({ service: 'web', kind: 'command', status: 'built' });
    const digest = web.codeDigest!.replace(/^sha256:/, '').slice(0, 12);
    const card = (await page.getByTestId(`build-${build!.id}`).innerText()).replace(/\s+/g, ' ');
    expect(card).toContain(`Build ${build!.id}`);
    expect(card).toContain(`Commit ${COMMIT}`);
    expect(card).toContain(`web Build command Built Code snapshot ${digest}`);
    const row = (await page.locator('tr', { hasText: build!.id }).first().innerText()).replace(/\s+/g, ' ');
    expect(row).toContain(`${build!.id} ${COMMIT.slice(0, 18)} Succeeded web: Built`);
    await b.shot('builds-en');
  });

  it('shows a signed delivery with its outcome and run link, and the hook URLs', async () => {
    const { page } = b;
    const commit = await repo.commit({ 'berth.yaml': `name: ${APP}\nservices: {}\n` }, 'first');
    const r = await push(commit, 'console-delivery-1');
    const answer = (await r.json()) as { runId?: string };
    expect(r.status, JSON.stringify(answer)).toBe(202);
    // A delivery with a wrong signature is refused, and listed too.
    const bad = await sendGitHub(berth.url, APP, {
      event: 'push',
      deliveryId: 'console-delivery-2',
      secret: SECRET,
      body: '{}',
      signature: 'sha256=00',
    });
    expect(bad.status).toBe(401);
    await page.goto(`${berth.url}${BASE}`);
    await page.getByTestId('tab-deliveries').click();
    const rows = async (): Promise<string[]> =>
      (await page.locator('[data-testid="deliveries"] tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    await expect.poll(async () => (await rows()).length).toBe(2);
    const [refused, triggered] = await rows();
    expect(triggered).toContain(`github push console-delivery-1 202 Started a run Run #${answer.runId}`);
    expect(refused).toContain('github push console-delivery-2 401 Refused');
    const url = await berth.cli(['hooks', 'url', APP, '--provider', 'github']);
    const printed = /URL:\s+(\S+)/.exec(url.stdout)![1]!;
    expect(await page.locator('[data-url="github"]').innerText()).toBe(printed);
    const shown = await flat();
    expect(shown).toContain('X-Hub-Signature-256: an HMAC-SHA256 of the body signed with the secret');
    expect(shown).toContain('X-Gitlab-Token: the secret itself');
    expect(shown).toContain('A webhook secret is set for this pipeline (it is never shown).');
    expect(shown).toContain(`berth pipeline set ${APP} --webhook-secret-file FILE`);
    await b.shot('deliveries-en');

    // The run link opens the run the delivery started on the Runs tab.
    await page.getByTestId(`run-link-${answer.runId}`).click();
    const run = page.getByTestId(`run-${answer.runId}`);
    await expect.poll(() => run.getByTestId('run-status').innerText()).toBe('Succeeded');
    expect((await run.innerText()).replace(/\s+/g, ' ')).toContain(`Commit ${commit.slice(0, 12)} on main · Push`);
  });

  it('shows both tabs in 简体中文 with no English but the app’s own words, and no console errors', async () => {
    const { page } = b;
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    // Words the app's own data brings (names, commits, log lines, delivery ids and details, URLs), and
    // what is not translated anywhere: the providers' names, header names, the hash, commands to type.
    const allowed = new Set(['Berth', 'ID', 'GitHub', 'GitLab', 'Gitea', 'Forgejo', 'HMAC-SHA256']);
    for (const s of ['X-Hub-Signature-256', 'X-Gitlab-Token', 'X-Gitea-Signature', 'X-Forgejo-Signature'])
      allowed.add(s);
    for (const s of ['berth pipeline set --webhook-secret-file FILE webhook secret PIPELINE_SECRET application/json'])
      for (const w of s.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []) allowed.add(w);
    const words = (v: unknown): void => {
      if (typeof v === 'string') for (const w of v.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []) allowed.add(w);
      else if (Array.isArray(v)) v.forEach(words);
      else if (v && typeof v === 'object') Object.entries(v).forEach(words);
    };
    const builds = (await berth.api('GET', `/api/v1/builds?app=${APP}`)).body as BuildSummary[];
    const deliveries = (await berth.api('GET', `/api/v1/hooks/deliveries?app=${APP}`)).body as HookDelivery[];
    words([builds, deliveries, berth.url, (await berth.api('GET', `/api/v1/builds/${builds[0]!.id}/log`)).body]);
    words(['push pull_request Push Hook Merge Request Hook']);
    for (const provider of ['github', 'gitlab', 'gitea', 'forgejo'])
      words((await berth.json<{ url: string }>(['hooks', 'url', APP, '--provider', provider])).url);
    const check = async (name: string): Promise<string> => {
      const t = await text();
      const english: string[] = [];
      for (const line of t.split('\n'))
        for (const w of line.replace(/\b[0-9a-f]{12,64}\b/g, '').match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? [])
          if (!allowed.has(w) && w.length > 1) english.push(`${name}: ${w} (in "${line.trim().slice(0, 80)}")`);
      expect(english).toEqual([]);
      await b.shot(`${name}-zh-CN`);
      return t;
    };
    await page.goto(`${berth.url}${BASE}?tab=builds`);
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await expect.poll(() => page.getByTestId('build-status').innerText()).toBe('成功');
    await expect.poll(() => page.getByTestId('build-log').innerText()).toContain('compiling done');
    const bt = await check('builds');
    expect(bt).toContain('构建命令');
    expect(bt).toContain('代码快照');

    await page.getByTestId('tab-deliveries').click();
    await expect.poll(() => page.locator('[data-testid="deliveries"] tbody tr').count()).toBe(2);
    const dt = await check('deliveries');
    expect(dt).toContain('已触发执行');
    expect(dt).toContain('已拒绝');
    expect(dt).toContain('网络钩子地址');
    expect(b.errors).toEqual([]);
  });
});
