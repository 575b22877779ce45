/**
 * A pull request's preview environment end to end through the webhooks (issue 17 point 5): a real git
 * daemon's repository, a pipeline with `previews: { template: test }` and a webhook secret, `test` with
 * a config set (a value and a secret). A signed GitHub `pull_request` opened delivery opens the preview
 * from `test` and builds and deploys the pull request's head commit into it (its own edge port, the
 * copied config); `synchronize` with a new commit redeploys it; `closed` (merged) closes it — processes
 * gone, environment deleted. A GitLab Merge Request Hook (token header) opens one too, and its time to
 * live over, the sweeper closes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, waitFor, type Berth } from './harness.js';
import { startGitServer, type GitServer, type TestRepo } from '../support/gitServer.js';
import { sample, sendGitHub, sendGitLab } from '../support/webhookDelivery.js';
import { freePort } from '../../src/gateway/testing.js';
import type { PipelineRun } from '../../src/model/pipeline.js';

const SECRET = 'pr-h00k-secret';
const SERVER = `import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const version = readFileSync(new URL('./version.txt', import.meta.url), 'utf8').trim();
const body = () => ['version ' + version, process.env.GREETING, process.env.API_TOKEN].join(' | ');
createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : body())).listen(Number(process.env.PORT), '127.0.0.1');
`;
const SPEC = `name: prshop
variables:
  GREETING: { default: hello from berth.yaml }
  API_TOKEN: { secret: true }
services:
  web:
    command: node server.mjs
    cwd: ./web
    env: { GREETING: "\${GREETING}", API_TOKEN: "\${API_TOKEN}" }
    build: { command: sh build.sh, output: dist }
    health: { readiness: { http: { path: /healthz }, period: 1s } }
routes:
  - { path: /, service: web }
`;
const BUILD = 'mkdir -p dist && cp server.mjs dist/ && echo "$(cat version.txt) (built)" > dist/version.txt\n';

interface Preview {
  app: string;
  key: string;
  env: string;
  template: string;
  state: string;
  edgePort?: number;
  closedReason?: string;
}

let berth: Berth;
let git: GitServer;
let repo: TestRepo;
let dir: string;

async function ok(args: string[]): Promise<string> {
  const r = await berth.cli(args);
  expect(r.code, `berth ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** A GitHub pull_request delivery of `action` on `branch` at `sha`, signed with the pipeline's secret. */
async function github(
  id: string,
  action: string,
  branch: string,
  sha: string,
  merged = false,
  number = 7,
): Promise<Response> {
  const s = await sample(`github/pull_request-${action === 'closed' ? 'closed' : 'opened'}.json`);
  const pr = s.pull_request as Record<string, Record<string, unknown>>;
  const body = {
    ...s,
    action,
    number,
    pull_request: {
      ...pr,
      number,
      merged,
      head: { ...pr.head, ref: branch, sha },
      base: { ...pr.base, ref: 'main' },
    },
  };
  return sendGitHub(berth.url, 'prshop', { event: 'pull_request', deliveryId: id, secret: SECRET, body });
}

/** Waits for run `id` to finish and expects it succeeded. */
async function finished(id: string | undefined): Promise<PipelineRun> {
  expect(id).toBeDefined();
  const run = await waitFor(
    `pipeline run ${id}`,
    async () => {
      const r = await berth.json<PipelineRun>(['pipeline', 'status', String(id)]);
      return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
    },
    60_000,
  );
  expect(run.status, JSON.stringify(run.steps)).toBe('succeeded');
  return run;
}

async function previews(): Promise<Preview[]> {
  return berth.json<Preview[]>(['preview', 'list', '--app', 'prshop', '--all']);
}

async function answer(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/`)).text();
}

async function pidsOf(env: string): Promise<number[]> {
  const st = await berth.json<{ services: { replicas: { pid?: number }[] }[] }>(['status', 'prshop', '--env', env]);
  return st.services.flatMap((s) => s.replicas.map((r) => r.pid ?? 0)).filter((p) => p > 0);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function setPipeline(ttl: string): Promise<void> {
  const file = join(dir, 'pipeline.yaml');
  await writeFile(
    file,
    [
      `source: { url: "${repo.url}", branch: main, path: app }`,
      'webhook: { secret: "${PIPELINE_SECRET}" }',
      `previews: { template: test, ttl: ${ttl} }`,
      'steps:',
      '  - build: { env: test }',
      '  - deploy: { env: test }',
      '',
    ].join('\n'),
  );
  const set = await berth.cli(['pipeline', 'set', 'prshop', '-f', file], { env: { PIPELINE_SECRET: SECRET } });
  expect(set.code, set.stderr).toBe(0);
}

beforeAll(async () => {
  git = await startGitServer();
  repo = await git.repo('prshop');
  dir = await mkdtemp(join(tmpdir(), 'berth-prflow-'));
  berth = await startBerth({ env: { BERTH_PREVIEW_SWEEP_INTERVAL: '1s' } });
  await ok(['env', 'create', 'test']);
  await ok(['env', 'set', 'test', '--edge-port', String(await freePort())]);
  await ok(['config', 'set', 'GREETING=hello from test', '--app', 'prshop', '--env', 'test']);
  await ok(['config', 'set', 'API_TOKEN=t0ken-of-test', '--secret', '--app', 'prshop', '--env', 'test']);
  await repo.commit(
    {
      'app/berth.yaml': SPEC,
      'app/web/server.mjs': SERVER,
      'app/web/version.txt': 'main\n',
      'app/web/build.sh': BUILD,
    },
    'main',
  );
  await setPipeline('1h');
}, 60_000);

afterAll(async () => {
  await berth?.teardown();
  await git?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a pull request’s preview environment through the webhooks', () => {
  it('opens, redeploys and closes a GitHub pull request’s preview', async () => {
    const first = await repo.commit({ 'app/web/version.txt': 'one\n' }, 'one', 'feature/login');
    const opened = await github('pr-open-1', 'opened', 'feature/login', first);
    const o = (await opened.json()) as { runId?: string };
    expect(opened.status, JSON.stringify(o)).toBe(202);
    const run = await finished(o.runId);
    expect(run).toMatchObject({ commit: first, trigger: 'pull-request', preview: { key: 'pr-7', env: 'test-pr-7' } });

    const [p] = await previews();
    expect(p).toMatchObject({ app: 'prshop', key: 'pr-7', env: 'test-pr-7', template: 'test', state: 'open' });
    expect(p!.edgePort).toBeGreaterThan(0);
    expect(await answer(p!.edgePort!)).toBe('version one (built) | hello from test | t0ken-of-test');

    const second = await repo.commit({ 'app/web/version.txt': 'two\n' }, 'two', 'feature/login');
    const sync = await github('pr-sync-1', 'synchronize', 'feature/login', second);
    const s = (await sync.json()) as { runId?: string };
    expect(sync.status, JSON.stringify(s)).toBe(202);
    expect((await finished(s.runId)).commit).toBe(second);
    expect(await answer(p!.edgePort!)).toBe('version two (built) | hello from test | t0ken-of-test');

    const pids = await pidsOf('test-pr-7');
    expect(pids.length).toBeGreaterThan(0);
    const closed = await github('pr-close-1', 'closed', 'feature/login', second, true);
    expect(closed.status, await closed.text()).toBeLessThan(300);
    await waitFor('the preview to be closed', async () => (await previews())[0]?.state === 'closed');
    expect((await previews())[0]).toMatchObject({ key: 'pr-7', state: 'closed', closedReason: 'merged' });
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    const envs = await berth.json<{ name: string }[]>(['env', 'list']);
    expect(envs.map((e) => e.name)).not.toContain('test-pr-7');
    expect(await ok(['preview', 'list', '--app', 'prshop', '--all'])).toMatch(
      /pr-7\s+test-pr-7\s+test\s+closed \(merged\)/,
    );
    await expect(answer(p!.edgePort!)).rejects.toThrow();

    // Reopened: the preview is opened again from test (its config copied again) and the head deployed.
    const again = await github('pr-reopen-1', 'reopened', 'feature/login', second);
    const a = (await again.json()) as { runId?: string };
    expect(again.status, JSON.stringify(a)).toBe(202);
    await finished(a.runId);
    const reopened = (await previews()).find((x) => x.key === 'pr-7');
    expect(reopened).toMatchObject({ state: 'open', env: 'test-pr-7' });
    expect(await answer(reopened!.edgePort!)).toBe('version two (built) | hello from test | t0ken-of-test');
    const last = await github('pr-close-2', 'closed', 'feature/login', second, false);
    expect(last.status, await last.text()).toBe(200);
    expect((await previews()).find((x) => x.key === 'pr-7')).toMatchObject({ state: 'closed', closedReason: 'closed' });
  });

  it('opens a GitLab merge request’s preview, and the sweeper closes it once its time to live is over', async () => {
    await setPipeline('15s');
    const head = await repo.commit({ 'app/web/version.txt': 'gitlab\n' }, 'gitlab', 'feature/mr');
    const s = await sample('gitlab/merge_request.json');
    const attrs = s.object_attributes as Record<string, unknown>;
    const body = JSON.stringify({
      ...s,
      object_attributes: {
        ...attrs,
        iid: 12,
        action: 'open',
        source_branch: 'feature/mr',
        target_branch: 'main',
        last_commit: { ...(attrs.last_commit as Record<string, unknown>), id: head },
      },
    });
    const r = await sendGitLab(berth.url, 'prshop', {
      event: 'Merge Request Hook',
      deliveryId: 'mr-open-12',
      token: SECRET,
      body,
    });
    const o = (await r.json()) as { runId?: string };
    expect(r.status, JSON.stringify(o)).toBe(202);
    expect(await finished(o.runId)).toMatchObject({ commit: head, preview: { key: 'pr-12', env: 'test-pr-12' } });
    const p = (await previews()).find((x) => x.key === 'pr-12');
    expect(p).toMatchObject({ state: 'open', env: 'test-pr-12' });
    expect(await answer(p!.edgePort!)).toBe('version gitlab (built) | hello from test | t0ken-of-test');
    const pids = await pidsOf('test-pr-12');

    const gone = await waitFor(
      'the sweeper to close the expired preview',
      async () => {
        const q = (await previews()).find((x) => x.key === 'pr-12');
        return q?.state === 'closed' ? q : undefined;
      },
      45_000,
    );
    expect(gone.closedReason).toBe('expired');
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    expect((await berth.json<{ name: string }[]>(['env', 'list'])).map((e) => e.name)).not.toContain('test-pr-12');
  });
});

describe('a pull request closed while its preview’s run is under way', () => {
  it('stops the run: nothing is left running in a deleted environment', async () => {
    await setPipeline('1h');
    const slow = 'sleep 3\n' + BUILD;
    const head = await repo.commit(
      { 'app/web/version.txt': 'slow\n', 'app/web/build.sh': slow },
      'slow',
      'feature/slow',
    );
    const opened = await github('pr-open-8', 'opened', 'feature/slow', head, false, 8);
    const o = (await opened.json()) as { runId?: string };
    expect(opened.status, JSON.stringify(o)).toBe(202);
    await waitFor('the build to start', async () => {
      const r = await berth.json<PipelineRun>(['pipeline', 'status', String(o.runId)]);
      return r.steps[0]?.status === 'running';
    });
    const closed = await github('pr-close-8', 'closed', 'feature/slow', head, false, 8);
    expect(closed.status, await closed.text()).toBeLessThan(300);
    const run = await waitFor(
      'the run to end',
      async () => {
        const r = await berth.json<PipelineRun>(['pipeline', 'status', String(o.runId)]);
        return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
      },
      30_000,
    );
    expect(run.status, JSON.stringify(run.steps)).toBe('cancelled');
    expect((await previews()).find((x) => x.key === 'pr-8')).toMatchObject({ state: 'closed', closedReason: 'closed' });
    expect((await berth.json<{ name: string }[]>(['env', 'list'])).map((e) => e.name)).not.toContain('test-pr-8');
    const st = await berth.cli(['status', 'prshop', '--env', 'test-pr-8', '-o', 'json']);
    const running = st.code === 0 ? (JSON.parse(st.stdout) as { services: { replicas: unknown[] }[] }).services : [];
    expect(running.flatMap((s) => s.replicas)).toEqual([]);
  });
});

describe('a preview closed by hand while its pull request’s run is under way', () => {
  it('cancels the run (the sweeper’s close does the same)', async () => {
    const slow = 'sleep 3\n' + BUILD;
    const head = await repo.commit(
      { 'app/web/version.txt': 'hand\n', 'app/web/build.sh': slow },
      'hand',
      'feature/hand',
    );
    const opened = await github('pr-open-10', 'opened', 'feature/hand', head, false, 10);
    const o = (await opened.json()) as { runId?: string };
    expect(opened.status, JSON.stringify(o)).toBe(202);
    await waitFor('the build to start', async () => {
      const r = await berth.json<PipelineRun>(['pipeline', 'status', String(o.runId)]);
      return r.steps[0]?.status === 'running';
    });
    await ok(['preview', 'close', 'prshop', 'pr-10']);
    const run = await berth.json<PipelineRun>(['pipeline', 'status', String(o.runId)]);
    expect(run).toMatchObject({ status: 'cancelled', error: 'preview pr-10 closed (by hand)' });
    await new Promise((r) => setTimeout(r, 3500)); // the build's sleep would be over: nothing more happens
    expect((await berth.json<PipelineRun>(['pipeline', 'status', String(o.runId)])).status).toBe('cancelled');
    expect((await berth.json<{ name: string }[]>(['env', 'list'])).map((e) => e.name)).not.toContain('test-pr-10');
  });
});

describe('a pull request whose berth.yaml is broken', () => {
  it('fails its preview’s run, the step log naming the line and field', async () => {
    const broken = SPEC.replace('period: 1s', 'period: soon');
    const head = await repo.commit({ 'app/berth.yaml': broken }, 'broken', 'feature/broken');
    const opened = await github('pr-open-9', 'opened', 'feature/broken', head, false, 9);
    const o = (await opened.json()) as { runId?: string };
    expect(opened.status, JSON.stringify(o)).toBe(202);
    const run = await waitFor('the run to end', async () => {
      const r = await berth.json<PipelineRun>(['pipeline', 'status', String(o.runId)]);
      return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
    });
    expect(run.status).toBe('failed');
    const logs = await ok(['pipeline', 'logs', String(o.runId), '1']);
    // Named as in the repository, not as in the control plane's checkout folder.
    expect(logs).toContain('==> failed: app/berth.yaml has 1 problem\n');
    expect(logs).toMatch(/\n {2}app\/berth\.yaml:\d+:\d+ services\.web\.health\.readiness\.period: \S/);
    expect(run.error).toContain('failed: app/berth.yaml has 1 problem');
  });
});
