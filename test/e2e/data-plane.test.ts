/**
 * Which data plane `berth server` runs, end to end: by default (auto) the HAProxy installed on this
 * machine and in CI, the Node proxy when none is (BERTH_HAPROXY names a binary that does not exist),
 * HAProxy with `auto` asked for, an explicit BERTH_DATA_PLANE taken, and `--data-plane haproxy` without HAProxy refused
 * before anything starts. The server says its choice and why in GET /api/v1/info and
 * in its log; the app's edge answers through whichever it is.
 */
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, startBerth, tempHome, writeApp, type Berth } from './harness.js';

const execFileP = promisify(execFile);
let berth: Berth | undefined;

afterEach(async () => {
  await berth?.teardown();
  berth = undefined;
});

interface Info {
  dataPlane?: { plane: string; reason: string };
}

/** Deploys a one-service app behind its edge and answers what the edge says at `/`. */
async function edgeAnswers(b: Berth): Promise<string> {
  const dir = await writeApp('planes', {
    'server.mjs': [
      "import { createServer } from 'node:http';",
      "createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : 'hello from web')).listen(Number(process.env.PORT), '127.0.0.1');",
      "process.on('SIGTERM', () => process.exit(0));",
    ],
    'berth.yaml': [
      'name: planes',
      'services:',
      '  web:',
      '    command: node server.mjs',
      '    ports: [8080]',
      '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
      'routes:',
      '  - { path: /, service: web }',
    ],
  });
  try {
    const deployed = await b.cli(['deploy', dir]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const { edge } = await b.json<{ edge: { port: number } }>(['status', 'planes']);
    return await (await fetch(`http://127.0.0.1:${edge.port}/`)).text();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The server logged `plane`, its gateway runs it, and the app's edge answers through it. */
async function expectServedBy(b: Berth, plane: string): Promise<void> {
  const log = await readFile(join(b.home, 'server.log'), 'utf8');
  expect(log).toContain(`"msg":"data plane: ${plane}"`);
  expect(await edgeAnswers(b)).toBe('hello from web');
  const state = JSON.parse(await readFile(join(b.home, 'gateway', 'gateway.json'), 'utf8')) as { dataPlane?: string };
  expect(state.dataPlane).toBe(plane);
}

describe('berth server data plane', () => {
  // BERTH_DATA_PLANE unset (the default, auto) or auto, with the installed HAProxy or none (a binary that does not exist).
  it.each<{ name: string; env: Record<string, string>; plane: string; reason: RegExp }>([
    {
      name: 'uses the installed HAProxy by default (auto)',
      env: { BERTH_DATA_PLANE: '' },
      plane: 'haproxy',
      reason:
        /^HAProxy 2\.\d+\S* at \/\S+ \(the default, auto: HAProxy when a usable one is installed; --data-plane node for the built-in Node proxy\)$/,
    },
    {
      name: 'uses the Node proxy by default when no HAProxy is installed',
      env: { BERTH_DATA_PLANE: '', BERTH_HAPROXY: '/nonexistent/haproxy' },
      plane: 'node',
      reason: /^the built-in Node proxy \(the default, auto: no usable HAProxy: haproxy not found on PATH/,
    },
    {
      name: 'uses HAProxy with BERTH_DATA_PLANE=auto when it is installed',
      env: { BERTH_DATA_PLANE: 'auto' },
      plane: 'haproxy',
      reason: /^BERTH_DATA_PLANE auto: HAProxy 2\.\d+\S* is installed at \//,
    },
    {
      name: 'uses the Node proxy with auto when no HAProxy is installed',
      env: { BERTH_DATA_PLANE: 'auto', BERTH_HAPROXY: '/nonexistent/haproxy' },
      plane: 'node',
      reason: /^BERTH_DATA_PLANE auto: no usable HAProxy, so the built-in Node proxy: haproxy not found/,
    },
  ])('$name, and says why', async ({ env, plane, reason }) => {
    berth = await startBerth({ env });
    const info = await berth.api<Info>('GET', '/api/v1/info');
    expect(info.body.dataPlane?.plane).toBe(plane);
    expect(info.body.dataPlane?.reason).toMatch(reason);
    await expectServedBy(berth, plane);
  });

  it('takes BERTH_DATA_PLANE=node as asked', async () => {
    berth = await startBerth({ env: { BERTH_DATA_PLANE: 'node' } });
    const info = await berth.api<Info>('GET', '/api/v1/info');
    expect(info.body.dataPlane).toEqual({ plane: 'node', reason: 'BERTH_DATA_PLANE node' });
    await expectServedBy(berth, 'node');
  });

  it('refuses --data-plane haproxy without HAProxy, naming what is missing', async () => {
    const home = await tempHome();
    const run = await execFileP(
      process.execPath,
      [CLI, 'server', '--port', '0', '--quiet', '--data-plane', 'haproxy'],
      {
        env: { ...process.env, BERTH_HOME: home, BERTH_HAPROXY: '/nonexistent/haproxy', NO_COLOR: '1' },
        timeout: 60_000,
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code ?? 1, stderr: e.stderr ?? '' }),
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      'haproxy not found on PATH: install it (apt-get install haproxy) or use --data-plane node',
    );
    await rm(home, { recursive: true, force: true });
  });
});
