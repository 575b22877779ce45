/**
 * Pipelines on a real SQLite store and a real git repository (served by `git daemon`): runs go through
 * their steps, fail with the failing step's log tail, wait for approvals, are cancelled, superseded by
 * a newer push, and resume after a simulated restart (a new Pipelines on the same store).
 */
import { mkdtemp, readFile, rm, copyFile, mkdir } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.js';
import { loadSecretBox, type SecretBox } from '../config/secretBox.js';
import { startGitServer, type GitServer, type TestRepo } from '../../test/support/gitServer.js';
import type { PipelineRun } from '../model/pipeline.js';
import { Pipelines } from './pipelines.js';
import { PipelineStore } from './pipelineStore.js';
import type { PipelineDeployer, StepRelease } from './stepPorts.js';

let server: GitServer;
let repo: TestRepo;
let home: string;
let store: Store;
let box: SecretBox;
const open: Pipelines[] = [];

/**
 * A deployer that does real work: a release copies the checkout's berth.yaml into `<home>/deployed/<env>/`
 * (the checkout is gone after the run), numbered like revisions; it finishes when `finish` says so.
 */
class FileDeployer implements PipelineDeployer {
  releases: (StepRelease & { message: string; app: string; done: boolean })[] = [];
  deploys = 0;
  hold = false;
  private waiters: (() => void)[] = [];

  async deploy(req: Parameters<PipelineDeployer['deploy']>[0]): Promise<StepRelease> {
    this.deploys++;
    const dir = join(home, 'deployed', req.env);
    await mkdir(dir, { recursive: true });
    const revision = this.releases.filter((r) => r.env === req.env).length + 1;
    await copyFile(req.specFile, join(dir, `${revision}.yaml`));
    const r = {
      releaseId: this.releases.length + 1,
      revision,
      env: req.env,
      message: req.message,
      app: req.app,
      done: !this.hold,
    };
    this.releases.push(r);
    return { releaseId: r.releaseId, revision, env: req.env };
  }

  async find(app: string, env: string, message: string): Promise<StepRelease | undefined> {
    const r = this.releases.find((x) => x.app === app && x.env === env && x.message === message);
    return r && { releaseId: r.releaseId, revision: r.revision, env };
  }

  async wait(release: StepRelease, opts: { signal: AbortSignal }): Promise<{ status: 'succeeded' }> {
    const r = this.releases.find((x) => x.releaseId === release.releaseId)!;
    while (!r.done) {
      await new Promise<void>((resolve, reject) => {
        this.waiters.push(resolve);
        opts.signal.addEventListener('abort', () => reject(opts.signal.reason as Error), { once: true });
      });
    }
    return { status: 'succeeded' };
  }

  finishAll(): void {
    for (const r of this.releases) r.done = true;
    for (const w of this.waiters.splice(0)) w();
  }
}

function pipelines(deployer: PipelineDeployer): Pipelines {
  const p = new Pipelines({
    home,
    store: new PipelineStore(store.sqlite),
    box,
    ports: { deployer },
    logger: pino({ level: 'silent' }),
  });
  open.push(p);
  p.start();
  return p;
}

async function settled(
  p: Pipelines,
  id: number,
  statuses = ['succeeded', 'failed', 'cancelled'],
): Promise<PipelineRun> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = p.run(id);
    if (statuses.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} is still ${run.status}: ${JSON.stringify(run.steps)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const pipelineFile = (steps: string[]) =>
  [`source: { url: "${repo.url}", branch: main, path: app }`, 'steps:', ...steps.map((s) => `  - ${s}`)].join('\n');

beforeAll(async () => {
  server = await startGitServer();
  repo = await server.repo('shop');
  await repo.commit(
    { 'app/berth.yaml': 'name: shop\nservices: {}\n', 'app/check.sh': 'echo checking $BERTH_COMMIT\n' },
    'first',
  );
});

afterAll(async () => {
  await server.stop();
});

afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
  await store.close();
  await rm(home, { recursive: true, force: true });
});

async function freshHome(): Promise<void> {
  home = await mkdtemp(join(tmpdir(), 'berth-pipelines-'));
  store = await openStore({ file: join(home, 'berth.db') });
  box = await loadSecretBox(home);
}

describe('pipeline runs', () => {
  it('run the steps in the commit checked out, then remove the checkout', async () => {
    await freshHome();
    const deployer = new FileDeployer();
    const p = pipelines(deployer);
    p.set('shop', {
      file: 'p.yaml',
      text: pipelineFile(['test: { command: "sh check.sh && test -f berth.yaml" }', 'deploy: { env: test }']),
      author: 'ann',
    });
    const head = await repo.commit({ 'app/VERSION': 'v2\n' }, 'second');
    const run = await settled(p, p.startRun('shop', { trigger: 'manual', author: 'ann' }).id);
    expect(run).toMatchObject({ status: 'succeeded', commit: head, trigger: 'manual' });
    expect(run.steps.map((s) => [s.title, s.status])).toEqual([
      ['test: sh check.sh && test -f berth.yaml', 'succeeded'],
      ['deploy test', 'succeeded'],
    ]);
    expect(run.steps[1]!.result).toEqual({ releaseId: 1, revision: 1, env: 'test' });
    expect(await readFile(p.logFile(run.id, 0), 'utf8')).toContain(`checking ${head}`);
    expect(await readFile(join(home, 'deployed/test/1.yaml'), 'utf8')).toContain('name: shop');
    expect(existsSync(join(home, 'pipelines/work/shop'))).toBe(false);
  });

  it('wake a watcher of the run after each line of a step log and at each step’s end', async () => {
    await freshHome();
    const p = pipelines(new FileDeployer());
    p.set('shop', {
      file: 'p.yaml',
      text: pipelineFile([
        'test: { command: "for i in 1 2 3; do echo line $i; sleep 0.1; done" }',
        'test: { command: "echo two" }',
      ]),
      author: 'ann',
    });
    const started = p.startRun('shop', { trigger: 'manual', author: 'ann' });
    // What a follower would see at each wake: the end of step 1's log and the steps' states.
    const seen: string[] = [];
    const stop = p.watch(started.id, () => {
      const log = existsSync(p.logFile(started.id, 0)) ? readFileSync(p.logFile(started.id, 0), 'utf8') : '';
      const states = p.run(started.id).steps.map((s) => s.status);
      seen.push(`${log.trimEnd().split('\n').at(-1)} | ${states.join(' ')}`);
    });
    const run = await settled(p, started.id);
    stop();
    expect(run.status).toBe('succeeded');
    // Each line wakes it as it is written, not only later changes.
    for (const i of [1, 2, 3]) expect(seen).toContain(`line ${i} | running queued`);
    // Step 1's end wakes it while step 2 is still to run.
    expect(seen).toContain('line 3 | succeeded queued');
    expect(seen.at(-1)).toBe('line 3 | succeeded succeeded');
  });

  it('fail at the failing step with its log tail, and run nothing after it', async () => {
    await freshHome();
    const deployer = new FileDeployer();
    const p = pipelines(deployer);
    p.set('shop', {
      file: 'p.yaml',
      text: pipelineFile(['test: { command: "echo one; echo broken test >&2; exit 3" }', 'deploy: { env: test }']),
      author: 'ann',
    });
    const run = await settled(p, p.startRun('shop', { trigger: 'manual', author: 'ann' }).id);
    expect(run.status).toBe('failed');
    expect(run.error).toContain(
      'step 1 (test: echo one; echo broken test >&2; exit 3) failed: the command exited with 3',
    );
    expect(run.steps[0]).toMatchObject({ status: 'failed', logTail: expect.arrayContaining(['one', 'broken test']) });
    expect(run.steps[1]!.status).toBe('skipped');
    expect(deployer.deploys).toBe(0);
  });

  it('name the git error of a commit the repository does not have', async () => {
    await freshHome();
    const p = pipelines(new FileDeployer());
    p.set('shop', { file: 'p.yaml', text: pipelineFile(['test: { command: "true" }']), author: 'ann' });
    const run = await settled(
      p,
      p.startRun('shop', { trigger: 'manual', author: 'ann', commit: 'deadbeefdeadbeef' }).id,
    );
    expect(run).toMatchObject({ status: 'failed', error: 'the repository has no commit deadbeefdeadbeef' });
    const bad = await settled(p, p.startRun('shop', { trigger: 'manual', author: 'ann', branch: 'nope' }).id);
    expect(bad.error).toBe('the repository has no branch nope');
    // A source git cannot fetch: the error names the command and git's own words.
    p.set('shop', {
      file: 'p.yaml',
      text: pipelineFile(['test: { command: "true" }']).replace(repo.url, 'git://127.0.0.1:1/none.git'),
      author: 'ann',
    });
    const unreachable = await settled(p, p.startRun('shop', { trigger: 'manual', author: 'ann' }).id);
    expect(unreachable.error).toMatch(/^git --git-dir \S+ fetch .* failed: fatal: unable to connect to 127\.0\.0\.1/);
    expect(unreachable.steps[0]?.error).toBe(unreachable.error);
  });

  it('refuse a checkout larger than its bound, before writing it', async () => {
    await freshHome();
    process.env.BERTH_PIPELINE_CHECKOUT_MAX_BYTES = '20';
    try {
      const p = pipelines(new FileDeployer());
      p.set('shop', { file: 'p.yaml', text: pipelineFile(['test: { command: "true" }']), author: 'ann' });
      const run = await settled(p, p.startRun('shop', { trigger: 'manual', author: 'ann' }).id);
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(
        /^commit [0-9a-f]{12} holds \d+ bytes of files, more than a checkout may \(20, BERTH_PIPELINE_CHECKOUT_MAX_BYTES\)$/,
      );
      expect(existsSync(join(home, 'pipelines/work/shop'))).toBe(false);
    } finally {
      delete process.env.BERTH_PIPELINE_CHECKOUT_MAX_BYTES;
    }
  });

  it('wait for an approval, and stop at a cancel', async () => {
    await freshHome();
    const p = pipelines(new FileDeployer());
    p.set('shop', {
      file: 'p.yaml',
      text: pipelineFile(['approval: { env: test }', 'test: { command: "true" }']),
      author: 'ann',
    });
    const a = p.startRun('shop', { trigger: 'manual', author: 'ann' });
    await settled(p, a.id, ['waiting']);
    // One run per app: a second one queues behind the waiting one.
    const b = p.startRun('shop', { trigger: 'manual', author: 'bob' });
    await new Promise((r) => setTimeout(r, 200));
    expect(p.run(b.id).status).toBe('queued');
    expect(p.approve(a.id, 'carol').steps[0]).toMatchObject({ status: 'succeeded', result: { approvedBy: 'carol' } });
    expect((await settled(p, a.id)).status).toBe('succeeded');
    await settled(p, b.id, ['waiting']);
    expect(() => p.approve(a.id, 'carol')).toThrow(/succeeded: it waits for no approval/);
    const cancelled = await settled(p, p.cancel(b.id, 'dave').id);
    expect(cancelled).toMatchObject({ status: 'cancelled', error: 'cancelled by dave' });
    expect(cancelled.steps.map((s) => s.status)).toEqual(['cancelled', 'skipped']);
  });

  it('let a newer push supersede the queued run of an earlier push, not a manual one', async () => {
    await freshHome();
    const p = pipelines(new FileDeployer());
    p.set('shop', { file: 'p.yaml', text: pipelineFile(['approval: {}']), author: 'ann' });
    const first = p.startRun('shop', { trigger: 'manual', author: 'ann' });
    await settled(p, first.id, ['waiting']);
    const c1 = await repo.commit({ 'app/a': '1' }, 'a');
    const pushed = await p.onPush('shop', push(c1, 'main'));
    const c2 = await repo.commit({ 'app/a': '2' }, 'b');
    const newer = await p.onPush('shop', push(c2, 'main'));
    expect(await p.onPush('shop', push(c2, 'feature'))).toEqual({
      ignored: 'a push to refs/heads/feature: the pipeline follows branch main',
    });
    expect(p.run(Number(pushed.runId))).toMatchObject({
      status: 'cancelled',
      error: `superseded by run ${newer.runId}, of a newer push`,
    });
    expect(p.run(Number(newer.runId))).toMatchObject({
      status: 'queued',
      commit: c2,
      trigger: 'push',
      author: 'pusher',
    });
    expect(p.run(first.id).status).toBe('waiting');
  });

  it('cancel the queued runs of a preview being closed, and no other run', async () => {
    await freshHome();
    const deployer = new FileDeployer();
    const p = pipelines(deployer);
    p.set('shop', { file: 'p.yaml', text: pipelineFile(['approval: {}']), author: 'ann' });
    const first = p.startRun('shop', { trigger: 'manual', author: 'ann' });
    await settled(p, first.id, ['waiting']);
    const into = (key: string) =>
      p.startRun('shop', {
        trigger: 'pull-request',
        author: 'bob',
        preview: { key, env: `test-${key}` },
        steps: [{ kind: 'deploy', env: `test-${key}` }],
      });
    const pr3 = into('pr-3');
    const pr4 = into('pr-4');
    p.cancelPreviewRuns('shop', 'pr-3', 'preview pr-3 closed (merged)');
    expect(p.run(pr3.id)).toMatchObject({ status: 'cancelled', error: 'preview pr-3 closed (merged)' });
    expect(p.run(pr3.id).steps.map((s) => s.status)).toEqual(['cancelled']);
    expect(p.run(pr4.id).status).toBe('queued');
    expect(p.run(first.id).status).toBe('waiting');
    p.cancel(first.id, 'ann');
    expect((await settled(p, pr4.id)).status).toBe('succeeded');
    expect(deployer.releases.map((r) => r.env)).toEqual(['test-pr-4']);
  });

  it('resume after a restart: a deploy whose release was made follows it instead of deploying again', async () => {
    await freshHome();
    const deployer = new FileDeployer();
    deployer.hold = true;
    const before = pipelines(deployer);
    before.set('shop', {
      file: 'p.yaml',
      text: pipelineFile(['test: { command: "true" }', 'deploy: { env: test }', 'test: { command: "echo after" }']),
      author: 'ann',
    });
    const run = before.startRun('shop', { trigger: 'manual', author: 'ann' });
    // The release is made; the control plane stops while it runs.
    for (let i = 0; i < 400 && deployer.releases.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    await before.close();
    expect(before.run(run.id)).toMatchObject({ status: 'running' });
    expect(before.run(run.id).steps[1]).toMatchObject({ status: 'running', result: { releaseId: 1, revision: 1 } });
    // A new control plane on the same store: the run goes on from the deploy step.
    const after = pipelines(deployer);
    deployer.finishAll();
    const done = await settled(after, run.id);
    expect(done.status).toBe('succeeded');
    expect(deployer.deploys).toBe(1);
    expect(await readFile(after.logFile(run.id, 1), 'utf8')).toContain('following revision 1 of test');
    expect(await readFile(after.logFile(run.id, 2), 'utf8')).toContain('after');
  });

  it('keep the webhook secret encrypted, and keep it when the pipeline is set again without one', async () => {
    await freshHome();
    const p = pipelines(new FileDeployer());
    const text = `${pipelineFile(['test: { command: "true" }'])}\nwebhook: { secret: "\${S}" }`;
    expect(p.set('shop', { file: 'p.yaml', text, variables: { S: 'hook-key' }, author: 'ann' }).webhookSecret).toBe(
      true,
    );
    const row = store.sqlite.prepare('select webhook_secret from pipelines where app = ?').get('shop') as {
      webhook_secret: string;
    };
    expect(row.webhook_secret).not.toContain('hook-key');
    expect(await p.webhookSecret('shop')).toBe('hook-key');
    const again = p.set('shop', {
      file: 'p.yaml',
      text: `${pipelineFile(['test: { command: "true" }'])}\nwebhook: {}`,
      author: 'ann',
    });
    expect(again.version).toBe(2);
    expect(await p.webhookSecret('shop')).toBe('hook-key');
  });
});

function push(commit: string, branch: string) {
  return {
    provider: 'gitea' as const,
    deliveryId: `d-${commit}-${branch}`,
    repository: { fullName: 'o/shop', cloneUrls: [repo.url] },
    ref: `refs/heads/${branch}`,
    branch,
    commit,
    deleted: false,
    pusher: 'pusher',
  };
}
