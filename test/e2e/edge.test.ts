/**
 * The edge of an app on one machine: its port from the environment (`berth env create|set
 * --edge-port`) and from berth.yaml (`edge.port`), and a conflict between two apps named clearly.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerth, writeApp, type Berth } from './harness.js';
import { freePort } from '../../src/runtime/local/ports.js';

let berth: Berth;
const dirs: string[] = [];

const SERVER = `
import { createServer } from 'node:http';
createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : process.env.NAME + ' ' + req.headers.host)).listen(
  Number(process.env.PORT),
  '127.0.0.1',
);
process.on('SIGTERM', () => process.exit(0));
`;

async function app(name: string, extra: string[] = []): Promise<string> {
  const dir = await writeApp(name, {
    'server.mjs': SERVER,
    'berth.yaml': [
      `name: ${name}`,
      'services:',
      '  web:',
      '    command: node server.mjs',
      '    ports: [8080]',
      `    env: { NAME: ${name} }`,
      '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
      'routes:',
      '  - { path: /, service: web }',
      ...extra,
    ],
  });
  dirs.push(dir);
  return dir;
}

const edgeOf = async (name: string): Promise<number> =>
  (await berth.json<{ edge: { port: number } }>(['status', name, '--env', 'stage'])).edge.port;

beforeAll(async () => {
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('edge port', () => {
  it('comes from the environment, then from the app in the environment, and a taken port is a clear conflict', async () => {
    const [envPort, appPort] = [await freePort(), await freePort()];
    const bad = await berth.cli(['env', 'create', 'stage', '--edge-port', '70000']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--edge-port');
    expect(bad.stderr).toContain('expected a TCP port (1-65535)');
    const created = await berth.cli(['env', 'create', 'stage', '--edge-port', String(envPort)]);
    expect(created.stderr).toBe('');

    const a = await app('edge-a');
    expect((await berth.cli(['deploy', a, '--env', 'stage'])).code).toBe(0);
    expect(await edgeOf('edge-a')).toBe(envPort);
    expect(await (await fetch(`http://127.0.0.1:${envPort}/`)).text()).toBe(`edge-a 127.0.0.1:${envPort}`);

    const set = await berth.cli(['env', 'set', 'stage', '--edge-port', `edge-a=${appPort}`]);
    expect(set.stdout).toContain(`edge port ${envPort}, edge-a at ${appPort}`);
    expect((await berth.cli(['deploy', a, '--env', 'stage'])).code).toBe(0);
    expect(await edgeOf('edge-a')).toBe(appPort);
    expect(await (await fetch(`http://127.0.0.1:${appPort}/`)).text()).toBe(`edge-a 127.0.0.1:${appPort}`);

    // A second app asking for the same port in berth.yaml: refused, naming both and where each was set.
    const b = await app('edge-b', ['edge:', `  port: ${appPort}`]);
    const refused = await berth.cli(['deploy', b, '--env', 'stage']);
    expect(refused.code).toBe(1);
    expect(`${refused.stdout}${refused.stderr}`).toContain(
      `edge port ${appPort} of edge-b/stage (berth.yaml edge.port) is already the edge of edge-a/stage (environment stage (--edge-port edge-a=${appPort}))`,
    );
    // The first app still answers on its port.
    expect(await (await fetch(`http://127.0.0.1:${appPort}/`)).text()).toBe(`edge-a 127.0.0.1:${appPort}`);
  });
});
