/**
 * Following a pipeline step's log over HTTP (`GET /api/v1/pipeline-runs/{id}/steps/{n}/log?follow=1`, what
 * `berth pipeline run` and the console print): a line reaches the client while the step still runs — the
 * step waits for a file the test writes only once it received the step's first line — and the stream ends
 * when that step ended, while the run goes on: the next step waits for a second file the test writes only
 * once the first step's stream ended. Real control plane, real git daemon, real test commands. (How soon
 * a line arrives is a latency, not asserted here.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, waitFor, type Berth } from './harness.js';
import { startGitServer, type GitServer, type TestRepo } from '../support/gitServer.js';
import type { PipelineRun } from '../../src/model/pipeline.js';

// Waits (at most 20 s) for file $1, then prints 6 lines.
const STEP = [
  'echo waiting',
  'i=0; while [ ! -f "$1" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done',
  'test -f "$1"',
  'for i in 1 2 3 4 5 6; do echo "line $i"; done',
  '',
].join('\n');

let berth: Berth;
let git: GitServer;
let repo: TestRepo;
let dir: string;
beforeAll(async () => {
  git = await startGitServer();
  repo = await git.repo('stepfollow');
  dir = await mkdtemp(join(tmpdir(), 'berth-stepfollow-'));
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  await git?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Step `n`'s log of run `id`, followed: every line, calling `onLine` as each arrives. */
async function follow(id: number, n: number, onLine: (line: string) => Promise<void>): Promise<string[]> {
  const res = await fetch(`${berth.url}/api/v1/pipeline-runs/${id}/steps/${n}/log?follow=1`, {
    headers: { authorization: `Bearer ${berth.token}` },
  });
  expect(res.status).toBe(200);
  const received: string[] = [];
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of res.body!) {
    const parts = (rest + decoder.decode(chunk as Uint8Array, { stream: true })).split('\n');
    rest = parts.pop()!;
    for (const line of parts) {
      received.push(line);
      await onLine(line);
    }
  }
  if (rest) received.push(rest);
  return received;
}

describe("a pipeline step's log, followed", () => {
  it('streams a line while the step runs, every line of it, and ends when the step ends', async () => {
    const commit = await repo.commit(
      { 'app/step.sh': STEP, 'app/berth.yaml': 'name: stepfollow\nservices: {}\n' },
      'first',
    );
    const file = join(dir, 'pipeline.yaml');
    const go1 = join(dir, 'go1');
    const go2 = join(dir, 'go2');
    await writeFile(
      file,
      [
        `source: { url: "${repo.url}", branch: main, path: app }`,
        'steps:',
        `  - test: { command: "sh step.sh ${go1}" }`,
        `  - test: { command: "sh step.sh ${go2}" }`,
        '',
      ].join('\n'),
    );
    const set = await berth.cli(['pipeline', 'set', 'stepfollow', '-f', file]);
    expect(set.code, set.stderr).toBe(0);
    const run = await berth.json<PipelineRun>(['pipeline', 'run', 'stepfollow', '--detach']);

    // Step 1 goes on only once its first line came through the follow.
    const first = await follow(run.id, 1, async (line) => {
      if (line === 'waiting') await writeFile(go1, '');
    });
    // The stream ended with step 1, the run still going on (step 2 waits for go2, written only now).
    const mid = await berth.json<PipelineRun>(['pipeline', 'status', String(run.id)]);
    expect(mid.steps.map((s) => s.status).slice(0, 1), first.join('\n')).toEqual(['succeeded']);
    expect(mid.status).toBe('running');
    expect(first.filter((l) => l.startsWith('line '))).toEqual([1, 2, 3, 4, 5, 6].map((i) => `line ${i}`));
    expect(first).toContain(`==> sh step.sh ${go1}`);

    // Step 2 followed while it waits: the same, and the run then ends succeeded with the commit.
    const second = await follow(run.id, 2, async (line) => {
      if (line === 'waiting') await writeFile(go2, '');
    });
    expect(second.filter((l) => l.startsWith('line '))).toEqual([1, 2, 3, 4, 5, 6].map((i) => `line ${i}`));
    const end = await waitFor('the run to end', async () => {
      const r = await berth.json<PipelineRun>(['pipeline', 'status', String(run.id)]);
      return r.status === 'running' ? undefined : r;
    });
    expect(end).toMatchObject({ status: 'succeeded', commit });
  }, 30_000);
});
