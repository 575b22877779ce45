/**
 * A pipeline from git to a protected environment (issue 17 points 2, 3 and 4 joined): build the
 * service's output (a build command), deploy to `test`,
 * wait for an approval, promote to `staging` — the promotion runs test's revision (its build's pinned output),
 * the approval being the confirmation the protected `staging` asks for. A second commit goes the same
 * way; `berth rollback` in staging then runs the first commit's code again, though the pipeline's
 * checkout is gone. Real git daemon, real control plane, real CLI, answers over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
const SPEC = `name: promoted
services:
  web:
    command: node server.mjs
    cwd: ./web
    build: { command: sh build.sh, output: dist }
    health: { readiness: { http: { path: /healthz }, period: 1s } }
routes:
  - { path: /, service: web }
`;

let berth: Berth;
let git: GitServer;
let repo: TestRepo;
let dir: string;

async function answer(env: string): Promise<string> {
  const st = await berth.json<{ edge?: { url: string } }>(['status', 'promoted', '--env', env]);
  return (await fetch(st.edge!.url)).text();
}

/** Runs the pipeline of the newest commit, approves it when it waits, and answers the finished run. */
async function runApproved(): Promise<PipelineRun> {
  const started = await berth.json<PipelineRun>(['pipeline', 'run', 'promoted', '--detach']);
  await waitFor('the approval step', async () => {
    const run = await berth.json<PipelineRun>(['pipeline', 'status', String(started.id)]);
    return run.status === 'waiting';
  });
  const approved = await berth.cli(['pipeline', 'approve', String(started.id)]);
  expect(approved.code, approved.stderr).toBe(0);
  return waitFor(
    'the run to finish',
    async () => {
      const run = await berth.json<PipelineRun>(['pipeline', 'status', String(started.id)]);
      return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
    },
    60_000,
  );
}

beforeAll(async () => {
  git = await startGitServer();
  repo = await git.repo('promoted');
  dir = await mkdtemp(join(tmpdir(), 'berth-pipepromote-'));
  berth = await startBerth();
  for (const args of [
    ['env', 'create', 'test'],
    ['env', 'create', 'staging'],
    ['env', 'set', 'staging', '--protected'],
  ]) {
    const r = await berth.cli(args);
    expect(r.code, r.stderr).toBe(0);
  }
  const file = join(dir, 'pipeline.yaml');
  await writeFile(
    file,
    [
      `source: { url: "${repo.url}", branch: main, path: app }`,
      'steps:',
      '  - build: { env: test }',
      '  - deploy: { env: test }',
      '  - approval: { env: staging }',
      '  - promote: { from: test, to: staging }',
      '',
    ].join('\n'),
  );
  const set = await berth.cli(['pipeline', 'set', 'promoted', '-f', file]);
  expect(set.code, set.stderr).toBe(0);
});

afterAll(async () => {
  await berth?.teardown();
  await git?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a pipeline that promotes to a protected environment', () => {
  it('promotes test’s revision after the approval, and staging rolls back to the earlier code', async () => {
    await repo.commit(
      {
        'app/berth.yaml': SPEC,
        'app/web/server.mjs': SERVER,
        'app/web/version.txt': 'one\n',
        // The build: what runs is its output folder, pinned by the build and promoted with the revision.
        'app/web/build.sh':
          'mkdir -p dist && cp server.mjs dist/ && echo "$(cat version.txt) (built)" > dist/version.txt\n',
      },
      'one',
    );
    const first = await runApproved();
    expect(first.status, JSON.stringify(first.steps)).toBe('succeeded');
    expect(await answer('test')).toBe('version one (built)');
    expect(await answer('staging')).toBe('version one (built)');
    const staged = await berth.json<{ revision: number; kind: string; message?: string }[]>([
      'history',
      'promoted',
      '--env',
      'staging',
    ]);
    expect(staged[0]).toMatchObject({ revision: 1, kind: 'promotion' });

    await repo.commit({ 'app/web/version.txt': 'two\n' }, 'two');
    const second = await runApproved();
    expect(second.status, JSON.stringify(second.steps)).toBe('succeeded');
    expect(await answer('staging')).toBe('version two (built)');

    // The protected staging asks for a confirmation of the rollback too; the pinned code of revision 1 runs again.
    const refused = await berth.cli(['rollback', 'promoted', '--env', 'staging', '--to', '1']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('protected');
    const back = await berth.cli(['rollback', 'promoted', '--env', 'staging', '--to', '1', '--yes']);
    expect(back.code, back.stderr).toBe(0);
    await waitFor(
      'staging to answer with the first commit',
      async () => (await answer('staging')) === 'version one (built)',
    );
    expect(await answer('test')).toBe('version two (built)');
  });
});
