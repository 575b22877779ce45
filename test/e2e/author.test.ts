/**
 * The author of a change (a revision, a config version) is the owner of the token that made it
 * (BERTH_TOKEN_OWNER when the data directory's first token was issued), never a name in the request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerth, writeApp, type Berth } from './harness.js';

const APP = 'authors';
const OWNER = 'ops-lead';
const SERVER = `
import { createServer } from 'node:http';
createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

interface Release {
  revision: number;
  author: string;
}

let berth: Berth;
const base = `/api/v1/apps/${APP}/envs/local`;

beforeAll(async () => {
  const dir = await writeApp(APP, {
    'server.mjs': SERVER,
    'berth.yaml': [
      `name: ${APP}`,
      'services:',
      '  web:',
      '    command: node server.mjs',
      '    health: { readiness: { http: { path: / }, period: 1s } }',
    ],
  });
  // The token a fresh data directory gets is owned by BERTH_TOKEN_OWNER: the author of every change.
  berth = await startBerth({ env: { BERTH_TOKEN_OWNER: OWNER } });
  const deploy = await berth.cli(['deploy', dir]);
  expect(deploy.code, deploy.stderr).toBe(0);
}, 60_000);
afterAll(async () => {
  await berth?.teardown();
});

describe('the author of a change', () => {
  it('is the owner of the token, never a name in the request body', async () => {
    const [deployed] = (await berth.api<Release[]>('GET', `${base}/releases`)).body;
    expect(deployed!.author).toBe(OWNER);
    const scale = await berth.api<Release>('POST', `${base}/services/web/scale`, {
      replicas: 2,
      author: 'mallory@evil',
    });
    expect(scale.status, JSON.stringify(scale.body)).toBe(202);
    expect(scale.body.author).toBe(OWNER);
    const config = await berth.api<{ version: number; author: string }>('PATCH', `${base}/config`, {
      baseVersion: (await berth.api<{ version: number }>('GET', `${base}/config`)).body.version,
      set: { GREETING: 'hi' },
      author: 'mallory@evil',
    });
    expect(config.status, JSON.stringify(config.body)).toBe(201);
    expect(config.body.author).toBe(OWNER);

    const listed = await berth.cli(['history', APP]);
    expect(listed.stdout).toContain(OWNER);
    expect(listed.stdout).not.toContain('mallory');
    const versions = await berth.cli(['config', 'history', '--app', APP]);
    expect(versions.stdout).not.toContain('mallory');
    expect(versions.stdout).toContain(OWNER);
  });
});
