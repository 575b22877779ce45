/**
 * The console's Pipelines page in Chromium against a real control plane and a real git server
 * (`git daemon`): a real run tests and deploys a process app, then waits for an approval. The page
 * shows the run's commit, trigger and each step's status, the steps' logs as they are written, and
 * approving on the page lets the run finish; in 简体中文 a second run is cancelled on the page, with no
 * English left but the app's own names and values (and the logs, which are the commands' output);
 * no console errors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineRun } from '../../src/model/pipeline.js';
import { startGitServer, type GitServer, type TestRepo } from '../support/gitServer.js';
import { pageText, openConsole, type ConsoleBrowser } from './consoleBrowser.js';
import { startBerth, waitFor, type Berth } from './harness.js';

const BASE = '/apps/conpipe/local/pipelines';
let berth: Berth;
let git: GitServer;
let repo: TestRepo;
let b: ConsoleBrowser;
let dir: string;
let commit: string;

beforeAll(async () => {
  git = await startGitServer();
  repo = await git.repo('conpipe');
  commit = await repo.commit(
    {
      'berth.yaml': 'name: conpipe\nservices:\n  web:\n    command: node server.mjs\n    cwd: ./web\n',
      'web/server.mjs':
        "import { createServer } from 'node:http';\ncreateServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');\n",
    },
    'first',
  );
  dir = await mkdtemp(join(tmpdir(), 'berth-console-pipeline-'));
  const file = join(dir, 'pipeline.yaml');
  await writeFile(
    file,
    [
      `source: { url: "${repo.url}", branch: main }`,
      'steps:',
      '  - test: { command: "echo unit tests start; sleep 5; echo unit tests pass" }',
      '  - deploy: { env: local }',
      '  - approval: { env: local }',
      '  - test: { command: "echo smoke ok" }',
    ].join('\n'),
  );
  berth = await startBerth();
  const set = await berth.cli(['pipeline', 'set', 'conpipe', '-f', file]);
  expect(set.code, set.stderr).toBe(0);
  b = await openConsole(berth);
}, 90_000);
afterAll(async () => {
  await b?.close();
  await berth?.teardown();
  await git?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const text = async (): Promise<string> => pageText(b.page);

async function waiting(id: number): Promise<void> {
  await waitFor(
    `run ${id} waiting`,
    async () => (await berth.json<PipelineRun>(['pipeline', 'status', String(id)])).status === 'waiting',
    30_000,
  );
}

describe('the console’s Pipelines page', () => {
  it('shows a run’s steps with their logs, and approving it on the page lets it finish', async () => {
    const { page } = b;
    await page.goto(`${berth.url}${BASE}`);
    await expect.poll(() => text()).toContain('No runs yet.');
    await page.getByTestId('run-now').click();
    const details = page.getByTestId('run-1');
    // The log updates while the step runs: its first line shows before the command ends.
    // (The command's own lines, not the `==> echo …` line that names the command.)
    const logLines = async (): Promise<string[]> => (await page.locator('[data-log="1"]').innerText()).split('\n');
    await expect.poll(logLines).toContain('unit tests start');
    expect(await logLines()).not.toContain('unit tests pass');
    expect(await details.getByTestId('run-status').innerText()).toBe('Running');
    await expect.poll(logLines).toContain('unit tests pass');
    await page.getByTestId('approve').waitFor({ timeout: 30_000 });
    const run = await berth.json<PipelineRun>(['pipeline', 'status', '1']);
    await expect.poll(() => details.getByTestId('run-status').innerText()).toBe('Waiting for approval');
    const shown = (await text()).replace(/[ \t]+/g, ' ');
    expect(shown).toContain(`Pipeline of conpipe`);
    expect(shown).toContain(`Source ${repo.url}, branch main, folder . · version 1`);
    expect(shown).toContain(`Commit ${commit.slice(0, 12)} on main · By hand`);
    await expect.poll(() => page.locator('[data-log="1"]').innerText()).toContain('unit tests pass');
    expect(await page.getByTestId('step-2').innerText()).toMatch(/2\. Deploy local\s+Succeeded\s+Revision 1 of local/);
    expect(await page.getByTestId('step-3').innerText()).toMatch(/3\. Approval for local\s+Waiting for approval/);
    await b.shot('pipelines-waiting-en');

    await page.getByTestId('approve').click();
    await expect.poll(() => details.getByTestId('run-status').innerText()).toBe('Succeeded');
    await expect.poll(() => page.locator('[data-log="4"]').innerText()).toContain('smoke ok');
    await expect.poll(() => page.getByTestId('step-3').innerText()).toContain('Approved by');
    const row = (await page.locator('tr', { hasText: `#${run.id}` }).innerText()).replace(/\s+/g, ' ');
    expect(row).toContain(`${commit.slice(0, 12)} main By hand`);
    expect(row).toContain('Succeeded Test Deploy Approval Test');
    const done = await berth.json<PipelineRun>(['pipeline', 'status', String(run.id)]);
    expect(done.steps[2]!.result?.approvedBy).toBeTruthy();
    await b.shot('pipelines-done-en');
  });

  it('cancels a run on the page in 简体中文, with no English but the app’s own words, and no console errors', async () => {
    const { page } = b;
    const run = await berth.json<PipelineRun>(['pipeline', 'run', 'conpipe', '--detach']);
    await waiting(run.id);
    await page.evaluate("localStorage.setItem('berth.language', 'zh-CN')");
    await page.goto(`${berth.url}${BASE}`);
    const details = page.getByTestId(`run-${run.id}`);
    await expect.poll(() => details.getByTestId('run-status').innerText()).toBe('等待审批');
    await expect.poll(() => page.locator('[data-log="1"]').innerText()).toContain('unit tests pass');

    // Words the app's own data and the steps' output bring (names, URLs, commands, log lines).
    const allowed = new Set(['Berth', 'ID']);
    const words = (v: unknown): void => {
      if (typeof v === 'string') for (const w of v.match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? []) allowed.add(w);
      else if (Array.isArray(v)) v.forEach(words);
      else if (v && typeof v === 'object') Object.entries(v).forEach(words);
    };
    for (const path of ['/api/v1/apps', '/api/v1/pipelines/conpipe', '/api/v1/pipelines/conpipe/runs'])
      words((await berth.api('GET', path)).body);
    for (const id of [run.id - 1, run.id])
      for (const n of [1, 2, 3, 4]) words((await berth.api('GET', `/api/v1/pipeline-runs/${id}/steps/${n}/log`)).body);
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    const check = async (name: string): Promise<string> => {
      const t = await text();
      const english: string[] = [];
      for (const line of t.split('\n'))
        for (const w of line.replace(/\b[0-9a-f]{12,40}\b/g, '').match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? [])
          if (!allowed.has(w) && w.length > 1) english.push(`${name}: ${w} (in "${line.trim().slice(0, 80)}")`);
      expect(english).toEqual([]);
      await b.shot(`${name}-zh-CN`);
      return t;
    };
    const before = await check('pipelines-waiting');
    expect(before).toContain('conpipe 的流水线');
    expect(before).toContain('审批 local');
    expect(before).toContain('部署 local');

    await page.getByTestId('cancel').click();
    await expect.poll(() => details.getByTestId('run-status').innerText()).toBe('已取消');
    expect((await berth.json<PipelineRun>(['pipeline', 'status', String(run.id)])).status).toBe('cancelled');
    const after = await check('pipelines-cancelled');
    expect(after).toContain('已跳过');
    expect(b.errors).toEqual([]);
  });
});
