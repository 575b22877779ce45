/**
 * A pipeline into environments that need approvals (docs/access.md, Approvals): its deploy to `qa`
 * and its promotion to `prod` each wait for an approval request, named in the step's log; approved
 * by someone other than the run's author, each runs (the deploy with its code pinned: the checkout
 * is gone once the run ends) and the run succeeds. Real git daemon, control plane and CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, waitFor, type Berth } from './harness.js';
import { startGitServer, type GitServer, type TestRepo } from '../support/gitServer.js';
import { addUser } from '../support/identities.js';
import type { PipelineRun } from '../../src/model/pipeline.js';
import type { ApprovalRequest } from '../../src/model/approvals.js';

const SERVER = `import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const version = readFileSync(new URL('./version.txt', import.meta.url), 'utf8').trim();
createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : 'version ' + version)).listen(Number(process.env.PORT), '127.0.0.1');
`;
const SPEC = `name: gated
services:
  web:
    command: node server.mjs
    cwd: ./web
    health: { readiness: { http: { path: /healthz }, period: 1s } }
routes:
  - { path: /, service: web }
`;

let berth: Berth;
let git: GitServer;
let repo: TestRepo;
let dir: string;
let rmToken: string;

async function answer(env: string): Promise<string> {
  const st = await berth.json<{ edge?: { url: string } }>(['status', 'gated', '--env', env]);
  return (await fetch(st.edge!.url)).text();
}

/** The pending request of `env` once there is one. */
function pendingIn(env: string): Promise<ApprovalRequest> {
  return waitFor(
    `an approval request in ${env}`,
    async () =>
      (await berth.json<ApprovalRequest[]>(['approval', 'list', '--pending', '-e', env])).find(
        (a) => a.app === 'gated',
      ),
    60_000,
  );
}

beforeAll(async () => {
  git = await startGitServer();
  repo = await git.repo('gated');
  dir = await mkdtemp(join(tmpdir(), 'berth-pipeapprovals-'));
  berth = await startBerth();
  for (const args of [
    ['env', 'create', 'test'],
    ['env', 'create', 'qa'],
    ['env', 'create', 'prod'],
    ['env', 'set', 'qa', '--approvals', '1'],
    ['env', 'set', 'prod', '--approvals', '1'],
  ]) {
    const r = await berth.cli(args);
    expect(r.code, r.stderr).toBe(0);
  }
  rmToken = await addUser(berth.home, { name: 'rm', bindings: [{ role: 'deployer' }] });
  const file = join(dir, 'pipeline.yaml');
  await writeFile(
    file,
    [
      `source: { url: "${repo.url}", branch: main, path: app }`,
      'steps:',
      '  - deploy: { env: test }',
      '  - deploy: { env: qa }',
      '  - promote: { from: test, to: prod }',
      '',
    ].join('\n'),
  );
  const set = await berth.cli(['pipeline', 'set', 'gated', '-f', file]);
  expect(set.code, set.stderr).toBe(0);
});

afterAll(async () => {
  await berth?.teardown();
  await git?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a pipeline into environments that need approvals', () => {
  it('waits for an approval of its deploy and of its promotion, then runs them', async () => {
    await repo.commit({ 'app/berth.yaml': SPEC, 'app/web/server.mjs': SERVER, 'app/web/version.txt': 'one\n' }, 'one');
    const started = await berth.json<PipelineRun>(['pipeline', 'run', 'gated', '--detach']);

    const qa = await pendingIn('qa');
    expect(qa).toMatchObject({ action: 'deploy', required: 1, state: 'pending' });
    const log = await berth.cli(['pipeline', 'logs', String(started.id), '2']);
    expect(log.stdout).toContain(`waits for 1 approval(s): request #${qa.id}`);
    const own = await berth.cli(['approval', 'approve', String(qa.id)]);
    expect(own.stderr).toContain('approvals from people other than its author');
    const a1 = await berth.cli(['approval', 'approve', String(qa.id)], { env: { BERTH_TOKEN: rmToken } });
    expect(a1.code, a1.stderr).toBe(0);

    const prod = await pendingIn('prod');
    expect(prod).toMatchObject({ action: 'promote', request: expect.objectContaining({ from: 'test' }) });
    const a2 = await berth.cli(['approval', 'approve', String(prod.id)], { env: { BERTH_TOKEN: rmToken } });
    expect(a2.code, a2.stderr).toBe(0);

    const run = await waitFor(
      'the run to finish',
      async () => {
        const r = await berth.json<PipelineRun>(['pipeline', 'status', String(started.id)]);
        return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
      },
      60_000,
    );
    expect(run.status, JSON.stringify(run.steps)).toBe('succeeded');
    expect(await answer('qa')).toBe('version one');
    expect(await answer('prod')).toBe('version one');
    const history = await berth.json<{ revision: number; message: string }[]>(['history', 'gated', '--env', 'prod']);
    expect(history).toEqual([expect.objectContaining({ revision: 1 })]);
    expect(history[0]!.message).toMatch(new RegExp(`\\[approval #${prod.id}, approved by rm\\]$`));
  }, 120_000);
});
