/**
 * The steps that call other parts through ports (build, promote, previews), with in-test ports that do
 * real work: the build runs berth.yaml's build command in the checkout and hashes what it made, the
 * promotion copies the source environment's deployed berth.yaml to the target, the previews keep
 * environments as folders. Real SQLite, a real git repository served by `git daemon`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.js';
import { loadSecretBox } from '../config/secretBox.js';
import { startGitServer, type GitServer, type TestRepo } from '../../test/support/gitServer.js';
import type { PreviewEnvironment, PreviewEnvironments } from '../model/delivery.js';
import type { PipelineRun } from '../model/pipeline.js';
import { Pipelines } from './pipelines.js';
import { PipelineStore } from './pipelineStore.js';
import type { PipelineBuilds, PipelineDeployer, PipelinePromotions } from './stepPorts.js';

const run = promisify(execFile);
let server: GitServer;
let repo: TestRepo;
let home: string;
let store: Store;
let pipelines: Pipelines;
const promoted: string[] = [];
const previewLog: string[] = [];

/** Deploys copy the checkout's app folder to <home>/envs/<env>/ (the checkout goes away). */
const deployer: PipelineDeployer = {
  async deploy(req) {
    const target = join(home, 'envs', req.env);
    await rm(target, { recursive: true, force: true });
    await cp(dirname(req.specFile), target, { recursive: true });
    return { releaseId: 1, revision: (await readdir(join(home, 'envs'))).length, env: req.env };
  },
  find: async () => undefined,
  wait: async () => ({ status: 'succeeded' }),
};

/** Runs `build.sh` in the checkout and reports the digest of what it wrote (its output streamed unless a `quiet` file says not). */
const builds: PipelineBuilds = {
  async run(req, opts) {
    const dir = dirname(req.specFile);
    const onLog = existsSync(join(dir, 'quiet')) ? () => undefined : opts.onLog;
    try {
      const { stdout } = await run('/bin/sh', ['build.sh'], { cwd: dir });
      onLog(stdout);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      onLog(`${e.stdout ?? ''}${e.stderr ?? ''}`);
      return {
        services: [
          {
            service: 'web',
            kind: 'command',
            status: 'failed',
            contextDigest: '',
            logTail: (e.stderr ?? '').trim().split('\n'),
          },
        ],
      };
    }
    const out = await readFile(join(dir, 'dist', 'app.js'));
    const digest = `sha256:${createHash('sha256').update(out).digest('hex')}`;
    return {
      buildId: `b-${req.commit.slice(0, 7)}`,
      services: [{ service: 'web', kind: 'command', status: 'built', contextDigest: digest, codeDigest: digest }],
    };
  },
};

/** Copies the source environment's deployed folder to the target. */
const promotions: PipelinePromotions = {
  async promote(req) {
    promoted.push(`${req.from}->${req.to} confirmed=${req.confirmed}`);
    await rm(join(home, 'envs', req.to), { recursive: true, force: true });
    await cp(join(home, 'envs', req.from), join(home, 'envs', req.to), { recursive: true });
    return { releaseId: 9, revision: 1, env: req.to };
  },
};

/** Preview environments as folders named after them. */
const previews: PreviewEnvironments = {
  async open(req): Promise<PreviewEnvironment> {
    const env = `${req.template}-${req.key}`;
    await mkdir(join(home, 'previews', env), { recursive: true });
    previewLog.push(`open ${env}`);
    const now = new Date();
    return {
      app: req.app,
      key: req.key,
      env,
      template: req.template,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + req.ttlMs).toISOString(),
    };
  },
  async close(_app, key, reason) {
    await rm(join(home, 'previews', `test-${key}`), { recursive: true, force: true });
    previewLog.push(`close test-${key} (${reason})`);
  },
};

async function settled(id: number, waiting = true): Promise<PipelineRun> {
  for (let i = 0; i < 800; i++) {
    const r = pipelines.run(id);
    if (['succeeded', 'failed', 'cancelled'].includes(r.status)) return r;
    if (waiting && r.status === 'waiting') return r;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`run ${id} did not settle`);
}

beforeAll(async () => {
  server = await startGitServer();
  repo = await server.repo('shop');
  home = await mkdtemp(join(tmpdir(), 'berth-pipeline-ports-'));
  store = await openStore({ file: join(home, 'berth.db') });
  pipelines = new Pipelines({
    home,
    store: new PipelineStore(store.sqlite),
    box: await loadSecretBox(home),
    ports: { deployer, builds, promotions, previews },
    logger: pino({ level: 'silent' }),
  });
  pipelines.start();
  pipelines.set('shop', {
    file: 'pipeline.yaml',
    author: 'ann',
    text: [
      `source: { url: "${repo.url}", branch: main, path: . }`,
      'previews: { template: test, ttl: 1h }',
      'steps:',
      '  - build: { env: test }',
      '  - test: { command: "test -f dist/app.js" }',
      '  - deploy: { env: test }',
      '  - approval: { env: staging }',
      '  - promote: { from: test, to: staging }',
    ].join('\n'),
  });
});

afterAll(async () => {
  await pipelines?.close();
  await store?.close();
  await server?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('build, promote and preview steps', () => {
  it('build, test the build output, deploy, wait for the approval, then promote with it confirmed', async () => {
    await repo.commit(
      {
        'berth.yaml': 'name: shop\n',
        'build.sh': 'mkdir -p dist && echo "console.log(1)" > dist/app.js && echo built\n',
      },
      'one',
    );
    const started = pipelines.startRun('shop', { trigger: 'manual', author: 'ann' });
    const waiting = await settled(started.id);
    expect(waiting.status).toBe('waiting');
    expect(waiting.steps[0]!.result).toMatchObject({
      buildId: expect.stringMatching(/^b-/),
      services: [{ service: 'web', status: 'built' }],
    });
    expect(existsSync(join(home, 'envs/test/dist/app.js'))).toBe(true);
    pipelines.approve(started.id, 'boss');
    const done = await settled(started.id, false);
    expect(done.status).toBe('succeeded');
    expect(done.steps[4]!.result).toEqual({ releaseId: 9, revision: 1, env: 'staging' });
    expect(promoted).toEqual(['test->staging confirmed=true']);
    expect(await readFile(join(home, 'envs/staging/dist/app.js'), 'utf8')).toContain('console.log(1)');
  });

  it('fail the run at a failed build with its log tail, before any deploy', async () => {
    await repo.commit({ 'build.sh': 'echo "src/app.ts(3,1): error TS1005" >&2; exit 2\n' }, 'broken build');
    await rm(join(home, 'envs'), { recursive: true, force: true });
    const r = await settled(pipelines.startRun('shop', { trigger: 'manual', author: 'ann' }).id);
    expect(r.status).toBe('failed');
    expect(r.error).toBe('step 1 (build test) failed: the build of web failed');
    // The build's streamed output is the log's tail, once: its failed service's tail is not repeated.
    expect(r.steps[0]!.logTail!.filter((l) => l.includes('error TS1005'))).toEqual(['src/app.ts(3,1): error TS1005']);
    expect(r.steps.slice(1).map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(existsSync(join(home, 'envs'))).toBe(false);
  });

  it('fail the run at a failed build that streamed no log with its services’ tails', async () => {
    await repo.commit({ quiet: '' }, 'a build that streams nothing');
    const r = await settled(pipelines.startRun('shop', { trigger: 'manual', author: 'ann' }).id);
    expect(r.status).toBe('failed');
    expect(r.steps[0]!.logTail!.filter((l) => l.includes('error TS1005'))).toEqual([
      'web: src/app.ts(3,1): error TS1005',
    ]);
  });

  it('open a preview for a pull request and run its build and deploy steps into it; close it when merged', async () => {
    await repo.commit({ 'build.sh': 'mkdir -p dist && echo "console.log(2)" > dist/app.js\n' }, 'feature', 'feature');
    const head = (await run('git', ['rev-parse', 'HEAD'], { cwd: repo.work })).stdout.trim();
    // As a fork's pull request: the head is only under refs/pull/12/head, not on a branch of the repository.
    await run('git', ['push', '--quiet', 'origin', `${head}:refs/pull/12/head`, ':feature'], { cwd: repo.work });
    const event = {
      provider: 'github' as const,
      deliveryId: 'd1',
      repository: { fullName: 'o/shop', cloneUrls: [repo.url] },
      number: 12,
      action: 'opened' as const,
      merged: false,
      branch: 'feature',
      commit: head,
      baseBranch: 'main',
      author: 'dev',
    };
    const answer = await pipelines.onPullRequest('shop', event);
    const r = await settled(Number(answer.runId));
    expect(r).toMatchObject({
      status: 'succeeded',
      trigger: 'pull-request',
      branch: 'feature',
      commit: head,
      preview: { key: 'pr-12', env: 'test-pr-12' },
    });
    expect(r.steps.map((s) => s.title)).toEqual(['build test-pr-12', 'deploy test-pr-12']);
    expect(await readFile(join(home, 'envs/test-pr-12/dist/app.js'), 'utf8')).toContain('console.log(2)');
    expect(
      await pipelines.onPullRequest('shop', { ...event, deliveryId: 'd2', action: 'closed', merged: true }),
    ).toEqual({
      ignored: 'pull request 12 merged: its preview is deleted',
    });
    expect(previewLog).toEqual(['open test-pr-12', 'close test-pr-12 (merged)']);
    // A pull request into another branch than the pipeline's gets no preview.
    expect(
      await pipelines.onPullRequest('shop', { ...event, deliveryId: 'd3', number: 13, baseBranch: 'release-1' }),
    ).toEqual({ ignored: "pull request 13 targets release-1, not the pipeline's branch main" });
    expect(previewLog).toEqual(['open test-pr-12', 'close test-pr-12 (merged)']);
  });
});
