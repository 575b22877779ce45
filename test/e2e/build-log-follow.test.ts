/**
 * Following a build's log over HTTP (`GET /api/v1/builds/{id}/log?follow=1`, what `berth build`
 * prints): a line reaches the client while the build still runs — the first service's build waits
 * for a file the test writes only once it received that service's first line — and the stream ends
 * when the build ended, after the last service's lines, however many services. Real control plane,
 * real build commands. (How soon a line arrives is measured by bench/webhook-live.mjs, not here.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, type Berth } from './harness.js';

// Each build writes 6 lines; the first one then waits (at most 20 s) for the test's go file.
const LINES = 'for i in 1 2 3 4 5 6; do echo "line $i"; done; mkdir -p dist && cp main.js dist/';
const WAIT =
  'echo waiting; i=0; while [ ! -f ../go ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; test -f ../go';
const SPEC = `name: follow
services:
  first:
    command: node main.js
    cwd: ./first
    build: { command: '${WAIT}; ${LINES}', output: dist }
  second:
    command: node main.js
    cwd: ./second
    dependsOn: [first]
    build: { command: '${LINES}', output: dist }
`;

let berth: Berth;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-buildfollow-'));
  for (const s of ['first', 'second']) {
    await mkdir(join(dir, s));
    await writeFile(join(dir, s, 'main.js'), `console.log('${s}')\n`);
  }
  await writeFile(join(dir, 'berth.yaml'), SPEC);
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a build's log, followed", () => {
  it('streams a line while the build runs, every line of every service, and ends when the build ends', async () => {
    const file = join(dir, 'berth.yaml');
    const started = await berth.api<{ id: string }>('POST', '/api/v1/builds', {
      app: 'follow',
      env: 'local',
      spec: { file, text: await readFile(file, 'utf8') },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const res = await fetch(`${berth.url}/api/v1/builds/${started.body.id}/log?follow=1`, {
      headers: { authorization: `Bearer ${berth.token}` },
    });
    expect(res.status).toBe(200);
    const received: string[] = [];
    const decoder = new TextDecoder();
    let rest = '';
    for await (const chunk of res.body!) {
      const parts = (rest + decoder.decode(chunk as Uint8Array, { stream: true })).split('\n');
      rest = parts.pop()!;
      for (const p of parts) {
        const line = (JSON.parse(p) as { line: string }).line;
        received.push(line);
        // The build goes on only once its first line came through the follow.
        if (line === '[first] waiting') await writeFile(join(dir, 'go'), '');
      }
    }
    const build = await berth.api<{ status: string; services: { service: string; status: string }[] }>(
      'GET',
      `/api/v1/builds/${started.body.id}`,
    );
    // The stream ended with the build, which succeeded: the go file came from a line received live.
    expect(build.body.status, received.join('\n')).toBe('succeeded');
    expect(build.body.services.map((s) => [s.service, s.status])).toEqual([
      ['first', 'built'],
      ['second', 'built'],
    ]);
    // Every line of both services, in order, the second's included.
    for (const service of ['first', 'second'])
      expect(received.filter((l) => l.startsWith(`[${service}] line `))).toEqual(
        [1, 2, 3, 4, 5, 6].map((i) => `[${service}] line ${i}`),
      );
  }, 30_000);
});
