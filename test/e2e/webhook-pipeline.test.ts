/**
 * A signed GitHub push delivery through the real control plane into a real pipeline: the run of the
 * pushed commit starts (202 with its id) and runs its test step from a git daemon's repository; the
 * same delivery again is refused (409) and starts nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, waitFor, type Berth } from './harness.js';
import { startGitServer, type GitServer, type TestRepo } from '../support/gitServer.js';
import { pushBody, sendGitHub } from '../support/webhookDelivery.js';
import type { PipelineRun } from '../../src/model/pipeline.js';

let berth: Berth;
let git: GitServer;
let repo: TestRepo;
let dir: string;
beforeAll(async () => {
  git = await startGitServer();
  repo = await git.repo('hooked');
  dir = await mkdtemp(join(tmpdir(), 'berth-hookpipe-'));
  berth = await startBerth({ env: { PIPELINE_SECRET: 's3cret-hook' } });
});
afterAll(async () => {
  await berth?.teardown();
  await git?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a GitHub push webhook into a real pipeline', () => {
  it('starts a run of the pushed commit; its replay starts none', async () => {
    const commit = await repo.commit(
      { 'app/test.sh': 'echo "tested by webhook"\n', 'app/berth.yaml': 'name: hooked\nservices: {}\n' },
      'first',
    );
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      [
        `source: { url: "${repo.url}", branch: main, path: app }`,
        'webhook: { secret: "${PIPELINE_SECRET}" }',
        'steps:',
        '  - test: { command: "sh test.sh" }',
        '',
      ].join('\n'),
    );
    const set = await berth.cli(['pipeline', 'set', 'hooked', '-f', file], { env: { PIPELINE_SECRET: 's3cret-hook' } });
    expect(set.code, set.stderr).toBe(0);
    const body = await pushBody({ after: commit });
    const send = () =>
      sendGitHub(berth.url, 'hooked', { event: 'push', deliveryId: 'delivery-1', secret: 's3cret-hook', body });
    const r = await send();
    const answer = (await r.json()) as { runId?: string };
    expect(r.status, JSON.stringify(answer)).toBe(202);
    const run = await waitFor('run', async () => {
      const runs = await berth.json<PipelineRun[]>(['pipeline', 'runs', 'hooked']);
      return runs[0]?.status === 'succeeded' ? runs[0] : undefined;
    });
    expect(run).toMatchObject({ id: Number(answer.runId), commit, trigger: 'push' });
    expect((await send()).status).toBe(409);
    expect(await berth.json<PipelineRun[]>(['pipeline', 'runs', 'hooked'])).toHaveLength(1);
    const d = await berth.json<{ deliveryId: string; outcome: string }[]>(['hooks', 'deliveries', 'hooked']);
    expect(d.map((x) => [x.deliveryId, x.outcome])).toEqual([
      ['delivery-1', 'replay'],
      ['delivery-1', 'triggered'],
    ]);
  });
});
