/**
 * Pipelines end to end (issue 17 point 3): a real git repository served by `git daemon`, a real control
 * plane, the real CLI. `berth pipeline run` tests and deploys a process app from the pushed commit and
 * the deployed commit answers over HTTP; a failing test step fails the run with its log tail and deploys
 * nothing; a control plane killed during a slow test step finishes the run after its restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, waitFor, type Berth } from './harness.js';
import { startGitServer, type GitServer, type TestRepo } from '../support/gitServer.js';
import type { PipelineRun } from '../../src/model/pipeline.js';

const SERVER = `import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const version = readFileSync(new URL('./version.txt', import.meta.url), 'utf8').trim();
createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : 'version ' + version)).listen(Number(process.env.PORT), '127.0.0.1');
`;
const SPEC = `name: piped
services:
  web:
    command: node server.mjs
    cwd: ./web
    health: { readiness: { http: { path: /healthz }, period: 1s } }
  check:
    kind: cronjob
    schedule: "0 0 1 1 *"
    command: sh -c 'echo "job sees $(cat version.txt)"'
    cwd: ./web
routes:
  - { path: /, service: web }
`;

/** Whether process `pid` runs: it exists and is not a zombie. */
function running(pid: string): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

let berth: Berth;
let git: GitServer;
let repo: TestRepo;
let dir: string;

interface Status {
  edge?: { url: string };
  services: { service: string; readyReplicas: number; revision?: number }[];
}

async function setPipeline(steps: string[]): Promise<void> {
  const file = join(dir, 'pipeline.yaml');
  await writeFile(
    file,
    [`source: { url: "${repo.url}", branch: main, path: app }`, 'steps:', ...steps.map((s) => `  - ${s}`), ''].join(
      '\n',
    ),
  );
  const r = await berth.cli(['pipeline', 'set', 'piped', '-f', file]);
  expect(r.code, r.stderr).toBe(0);
}

async function answer(): Promise<string> {
  const st = await berth.json<Status>(['status', 'piped', '--env', 'test']);
  const res = await fetch(st.edge!.url);
  return res.text();
}

beforeAll(async () => {
  git = await startGitServer();
  repo = await git.repo('piped');
  dir = await mkdtemp(join(tmpdir(), 'berth-pipeline-'));
  berth = await startBerth();
  const env = await berth.cli(['env', 'create', 'test']);
  expect(env.code, env.stderr).toBe(0);
});

afterAll(async () => {
  await berth?.teardown();
  await git?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('berth pipeline', () => {
  it('runs test and deploy of the pushed commit, which then answers over HTTP', async () => {
    const commit = await repo.commit(
      {
        'app/berth.yaml': SPEC,
        'app/web/server.mjs': SERVER,
        'app/web/version.txt': 'one\n',
        'app/test.sh': 'echo "testing $(cat web/version.txt)"; test -f web/server.mjs\n',
      },
      'first',
    );
    await setPipeline(['test: { command: "sh test.sh" }', 'deploy: { env: test }', 'test: { job: check, env: test }']);
    const shown = await berth.cli(['pipeline', 'show', 'piped', '-o', 'yaml']);
    expect(shown.stdout).toContain(`url: ${repo.url}`);
    // -o yaml round trips: set again from it, the same definition as a new version.
    await writeFile(join(dir, 'again.yaml'), shown.stdout);
    const again = await berth.cli(['pipeline', 'set', 'piped', '-f', join(dir, 'again.yaml'), '-o', 'json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ version: 2, yaml: shown.stdout });
    // A bad file is refused with file, line and field, and stores nothing.
    await writeFile(join(dir, 'bad.yaml'), `source: { url: "${repo.url}" }\nsteps:\n  - deploy: { env: Test }\n`);
    const bad = await berth.cli(['pipeline', 'set', 'piped', '-f', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${join(dir, 'bad.yaml')}:3:`);
    expect(bad.stderr).toContain('steps.0.deploy.env: an environment name is lowercase letters, digits and -');
    expect((await berth.json<{ version: number }>(['pipeline', 'show', 'piped'])).version).toBe(2);

    const r = await berth.cli(['pipeline', 'run', 'piped']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('testing one');
    expect(r.stdout).toContain('revision 1 of test succeeded');
    // The cronjob of the release just deployed, run on demand by the job step.
    expect(r.stdout).toContain('job sees one');
    expect(r.stdout).toMatch(/run #1 succeeded \(commit [0-9a-f]{12}\)/);
    expect(await answer()).toBe('version one');

    const runs = await berth.json<PipelineRun[]>(['pipeline', 'runs', 'piped']);
    expect(runs[0]).toMatchObject({ id: 1, status: 'succeeded', commit, trigger: 'manual' });
    expect(runs[0]!.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const table = await berth.cli(['pipeline', 'runs', 'piped']);
    expect(table.stdout).toMatch(
      new RegExp(`1 +${commit.slice(0, 12)} +main +manual +succeeded .* ✓test ✓deploy:test`),
    );
  });

  it('fails at a failing test step with its log tail, and deploys nothing', async () => {
    await repo.commit(
      { 'app/web/version.txt': 'two\n', 'app/test.sh': 'echo "assertion failed: two != one" >&2; exit 1\n' },
      'broken',
    );
    const r = await berth.cli(['pipeline', 'run', 'piped']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('step 1 (test: sh test.sh) failed: the command exited with 1');
    const status = await berth.cli(['pipeline', 'status', '2']);
    expect(status.stdout).toContain('assertion failed: two != one');
    expect(status.stdout).toMatch(/2 +deploy test +skipped/);
    // Still the first commit's answer: nothing was deployed.
    expect(await answer()).toBe('version one');
    const releases = await berth.json<unknown[]>(['history', 'piped', '--env', 'test']);
    expect(releases).toHaveLength(1);
  });

  it('finishes a run after the control plane is killed during a slow test step', async () => {
    const commit = await repo.commit(
      {
        'app/web/version.txt': 'three\n',
        // The first run outlasts any restart (it must still run when the new control plane stops it: with
        // a 6 s sleep a loaded CI machine restarted after it had ended, and nothing was left to stop);
        // the run again is short.
        'app/test.sh':
          `echo $$ >> ${join(dir, 'pids')}; echo slow test starts; ` +
          `if [ "$(wc -l < ${join(dir, 'pids')})" -eq 1 ]; then sleep 120; else sleep 1; fi; echo slow test done\n`,
      },
      'slow',
    );
    const started = await berth.json<PipelineRun>(['pipeline', 'run', 'piped', '--detach']);
    const log = () => berth.cli(['pipeline', 'logs', String(started.id), '1']);
    await waitFor('the slow test step', async () => (await log()).stdout.includes('slow test starts'));
    await berth.kill('SIGKILL');
    await berth.restart();
    // The command the killed control plane started is stopped before the step runs again.
    await waitFor('the step to run again', async () => (await log()).stdout.includes('running it again'));
    const [first] = (await readFile(join(dir, 'pids'), 'utf8')).trim().split('\n');
    // Killed: gone, or a zombie its new parent has not reaped yet (state Z) — the kill is what counts.
    await waitFor('the first shell to be stopped', async () => !running(first!));
    expect((await log()).stdout).toMatch(
      /stopped the command the control plane had started before it restarted \(pid \d+\)/,
    );
    const done = await waitFor(
      'the run to finish',
      async () => {
        const run = await berth.json<PipelineRun>(['pipeline', 'status', String(started.id)]);
        return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
      },
      60_000,
    );
    expect(done).toMatchObject({ status: 'succeeded', commit });
    expect((await log()).stdout).toContain('running it again');
    expect(await answer()).toBe('version three');
  });

  it('follows the release it made when the control plane is killed during the deploy step, deploying once', async () => {
    await setPipeline(['deploy: { env: test }']);
    const before = (await berth.json<{ revision: number }[]>(['history', 'piped', '--env', 'test'])).length;
    // A replica that is ready only 4 s after it starts: the release is under way for a while.
    const slow = SERVER.replace(
      "req.url === '/healthz' ? 'ok'",
      "req.url === '/healthz' ? (Date.now() - t0 > 4000 ? 'ok' : (res.statusCode = 503, 'wait'))",
    ).replace(
      "import { createServer } from 'node:http';",
      "import { createServer } from 'node:http';\nconst t0 = Date.now();",
    );
    const commit = await repo.commit({ 'app/web/version.txt': 'four\n', 'app/web/server.mjs': slow }, 'slow start');
    const started = await berth.json<PipelineRun>(['pipeline', 'run', 'piped', '--detach']);
    await waitFor('the deploy step to make its release', async () => {
      const releases = await berth.json<{ revision: number; status: string }[]>(['history', 'piped', '--env', 'test']);
      return releases.length > before && releases[0]!.status === 'running';
    });
    await berth.kill('SIGKILL');
    await berth.restart();
    const done = await waitFor(
      'the run to finish',
      async () => {
        const run = await berth.json<PipelineRun>(['pipeline', 'status', String(started.id)]);
        return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
      },
      60_000,
    );
    expect(done).toMatchObject({ status: 'succeeded', commit });
    const releases = await berth.json<{ revision: number; message: string | null }[]>([
      'history',
      'piped',
      '--env',
      'test',
    ]);
    expect(releases).toHaveLength(before + 1);
    expect(releases[0]!.message).toBe(`pipeline run #${started.id} step 1: commit ${commit.slice(0, 12)}`);
    expect(done.steps[0]!.result).toMatchObject({ revision: releases[0]!.revision, env: 'test' });
    const log = await berth.cli(['pipeline', 'logs', String(started.id), '1']);
    expect(log.stdout).toContain(`following revision ${releases[0]!.revision} of test`);
    expect(await answer()).toBe('version four');
  });
});
