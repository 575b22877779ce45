/**
 * Which services run as containers, as a user drives it: the environment's containers mode through
 * `berth env create|set|get|ls`, a deploy refused when a service cannot run in the mode, and how each
 * service runs in `berth status` and `berth releases show`. (Containers themselves are deployed by
 * the container runner's tests.)
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerth, writeApp, type Berth } from './harness.js';

let berth: Berth;
const dirs: string[] = [];

const SERVER = `import { createServer } from 'node:http';
createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

beforeAll(async () => {
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('the containers mode of an environment', () => {
  it('is set with --containers, shown by env get and env ls, changed with env set (or update), refused where it cannot apply', async () => {
    const bad = await berth.cli(['env', 'create', 'qa', '--containers', 'sometimes']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('containers');
    expect(bad.stderr).toContain('"sometimes" is not one of auto, always, never');

    const k8s = await berth.cli(['env', 'create', 'prod', '--kubernetes', '--containers', 'never']);
    expect(k8s.code).toBe(1);
    expect(k8s.stderr).toContain('a --kubernetes environment always runs images');

    expect((await berth.cli(['env', 'create', 'qa', '--containers', 'always'])).code).toBe(0);
    const got = await berth.cli(['env', 'get', 'qa']);
    expect(got.stdout).toMatch(/^containers: +always$/m);
    expect((await berth.json<{ target: { containers?: string } }>(['env', 'get', 'qa'])).target.containers).toBe(
      'always',
    );
    const ls = await berth.cli(['env', 'ls']);
    expect(ls.stdout).toMatch(/CONTAINERS/);
    expect(ls.stdout).toMatch(/^qa +this machine +always/m);
    expect(ls.stdout).toMatch(/^local +this machine +auto/m);

    const set = await berth.cli(['env', 'update', 'qa', '--containers', 'never']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('containers never');
    expect(
      (await berth.api<{ target: { containers?: string } }>('GET', '/api/v1/environments/qa')).body.target,
    ).toEqual({
      kind: 'local',
      containers: 'never',
    });
    const missing = await berth.cli(['env', 'get', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('environment nope does not exist');
  });

  it('refuses to deploy a service with only an image where no container runs, naming it at its line', async () => {
    const dir = await writeApp('cm-never', {
      'server.mjs': SERVER,
      'berth.yaml': [
        'name: cm-never',
        'services:',
        '  web:',
        '    command: node server.mjs',
        '    ports: [8080]',
        '  cache:',
        '    image: redis:7',
      ],
    });
    dirs.push(dir);
    const refused = await berth.cli(['deploy', dir, '--env', 'qa']);
    expect(refused.code).toBe(1);
    const out = `${refused.stdout}${refused.stderr}`;
    expect(out).toContain('cm-never has services that cannot run in qa');
    expect(out).toMatch(/berth\.yaml:7:\d+ services\.cache\.image: service cache cannot run in this environment/);
    expect(out).toContain('environment qa runs no containers (`containers: never`)');
    expect(out).toContain('berth env set qa --containers auto');
    // Nothing was recorded: the app has no revision there.
    expect((await berth.api('GET', '/api/v1/apps/cm-never/envs/qa/releases')).status).toBe(404);
  });

  it('shows how each service runs in status and releases show', async () => {
    const dir = await writeApp('cm-proc', {
      'server.mjs': SERVER,
      'berth.yaml': [
        'name: cm-proc',
        'services:',
        '  web:',
        '    command: node server.mjs',
        '    image: shop/web:1',
        '    ports: [8080]',
        '    health: { readiness: { tcp: {}, period: 1s } }',
      ],
    });
    dirs.push(dir);
    const deployed = await berth.cli(['deploy', dir]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const status = await berth.cli(['status', 'cm-proc']);
    expect(status.stdout).toMatch(/RUN AS/);
    expect(status.stdout).toMatch(/^web +1\/1 +0 +http:\/\/127\.0\.0\.1:\d+ +1 +process +ok$/m);
    const json = await berth.json<{ services: { service: string; runAs?: string }[] }>(['status', 'cm-proc']);
    expect(json.services).toEqual([expect.objectContaining({ service: 'web', runAs: 'process' })]);

    const shown = await berth.cli(['releases', 'show', 'cm-proc', '1']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('cm-proc in local: revision 1 deploy succeeded, config v');
    expect(shown.stdout).toMatch(/^web +[0-9a-f]{12} +1 +process +shop\/web:1/m);
    const data = await berth.json<{ release: { revision: number }; rendered: { services: Record<string, unknown> } }>([
      'releases',
      'show',
      'cm-proc',
      '1',
    ]);
    expect(data.release.revision).toBe(1);
    expect(Object.keys(data.rendered.services)).toEqual(['web']);
    const badRevision = await berth.cli(['releases', 'show', 'cm-proc', 'x']);
    expect(badRevision.code).toBe(1);
    expect(badRevision.stderr).toContain('"x" is not a revision number');
  });
});
