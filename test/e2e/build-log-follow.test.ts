/**
 * Following a build's log over HTTP (`GET /api/v1/builds/{id}/log?follow=1`, what `berth build`
 * prints): each line reaches the client as it is written, not at the next look at the file, and the
 * stream ends as soon as the build ended — after the last service's lines, however many services.
 * Real control plane, real build commands, lines stamped with the time the command wrote them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, type Berth } from './harness.js';

// Each build writes 6 lines 300 ms apart, each with the time (ms) it was written.
const BUILD = 'for i in 1 2 3 4 5 6; do echo "at $(date +%s%3N)"; sleep 0.3; done; mkdir -p dist && cp main.js dist/';
const SPEC = `name: follow
services:
  first:
    command: node main.js
    cwd: ./first
    build: { command: '${BUILD}', output: dist }
  second:
    command: node main.js
    cwd: ./second
    dependsOn: [first]
    build: { command: '${BUILD}', output: dist }
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
  it('streams each line when it is written and ends when the build ends', async () => {
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
    const received: { line: string; at: number }[] = [];
    const decoder = new TextDecoder();
    let rest = '';
    for await (const chunk of res.body!) {
      const at = Date.now();
      const parts = (rest + decoder.decode(chunk as Uint8Array, { stream: true })).split('\n');
      rest = parts.pop()!;
      for (const p of parts) received.push({ line: (JSON.parse(p) as { line: string }).line, at });
    }
    const endedAt = Date.now();
    const build = await berth.api<{ status: string; endedAt: string; services: { service: string; status: string }[] }>(
      'GET',
      `/api/v1/builds/${started.body.id}`,
    );
    expect(build.body.status).toBe('succeeded');
    expect(build.body.services.map((s) => [s.service, s.status])).toEqual([
      ['first', 'built'],
      ['second', 'built'],
    ]);
    // Every line of both services, the second's included.
    const stamped = received.flatMap((r) => {
      const m = /^\[(first|second)\] at (\d+)$/.exec(r.line);
      return m ? [{ service: m[1], lagMs: r.at - Number(m[2]) }] : [];
    });
    expect(stamped.filter((s) => s.service === 'first')).toHaveLength(6);
    expect(stamped.filter((s) => s.service === 'second')).toHaveLength(6);
    // Live: a line reaches the client within a few ms of being written (the file was read every
    // 250 ms before, so these lags spread over 0–250 ms and their median was about 125 ms).
    const lags = stamped.map((s) => s.lagMs).sort((a, b) => a - b);
    const median = lags[Math.floor(lags.length / 2)]!;
    expect(median, `lags ${lags.join(', ')} ms`).toBeLessThan(60);
    // The stream ends when the build does, not at the next look.
    expect(endedAt).toBeGreaterThanOrEqual(Date.parse(build.body.endedAt));
    expect(endedAt - Date.parse(build.body.endedAt)).toBeLessThan(200);
  }, 30_000);
});
