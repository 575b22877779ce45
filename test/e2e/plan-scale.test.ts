/**
 * What `berth plan` and `berth diff` say, and `berth scale` of what needs no revision, through the
 * real control plane and processes: the plan starts from the failed first revision whose replicas
 * run (not from "nothing deployed"), names the strategy, attributes a config file like diff, shows a
 * route's policy change as such; scale refuses an autoscaled service and makes no revision for the
 * count a service already has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerth, writeApp, type Berth } from './harness.js';

const APP = 'planned';
const SERVER = [
  "import http from 'node:http';",
  "if (process.env.MODE === 'bad') { console.error('bad mode'); process.exit(3); }",
  'http.createServer((q, s) => s.end(process.env.MODE ?? "")).listen(Number(process.env.PORT), "127.0.0.1");',
];
const SPEC = [
  `name: ${APP}`,
  'variables:',
  '  WEB_MODE: { default: good }',
  'services:',
  '  api:',
  '    command: node server.mjs',
  '    ports: [{ name: http, port: 8080 }]',
  '    health: { readiness: { tcp: {}, period: 1s } }',
  '    autoscale: { min: 1, max: 3, requestsPerSecond: 50 }',
  '  web:',
  '    command: node server.mjs',
  '    ports: [{ name: http, port: 8080 }]',
  '    env: { MODE: "${WEB_MODE}" }',
  '    files: [{ path: rules.json, fromConfig: rules.json }]',
  '    health: { readiness: { tcp: {}, period: 1s } }',
  '    strategy: { type: canary, steps: [{ weight: 50 }], analysis: false }',
  'routes:',
  '  - { path: /, service: web }',
];

let berth: Berth;
let dir: string;

beforeAll(async () => {
  dir = await writeApp('planned', { 'server.mjs': SERVER, 'berth.yaml': SPEC, 'rules.json': '{"max":1}' });
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

describe('berth plan and berth scale', () => {
  it('plans from a failed first revision whose replicas run, not from nothing deployed', async () => {
    const rules = `rules.json=${join(dir, 'rules.json')}`;
    expect((await berth.cli(['config', 'set', '--file', rules, '--app', APP])).code).toBe(0);
    expect((await berth.cli(['config', 'set', 'WEB_MODE=bad', '--app', APP])).code).toBe(0);
    expect((await berth.cli(['deploy', dir, '--timeout', '4s'])).code).toBe(1);
    const running = (await berth.json<{ services: { replicas: unknown[] }[] }>(['status', APP])).services.reduce(
      (n, s) => n + s.replicas.length,
      0,
    );
    const plan = await berth.cli(['plan', dir]);
    expect(plan.stdout).not.toContain('nothing deployed');
    expect(plan.stdout).toContain(
      `plan for ${APP} in local (from no succeeded revision: revision 1 deploy failed, ${running} replica${running === 1 ? '' : 's'} running, config version 2)`,
    );
  });

  it('names the strategy, and a config file as the cause in plan and diff alike', async () => {
    expect((await berth.cli(['config', 'set', 'WEB_MODE=good', '--app', APP])).code).toBe(0);
    expect((await berth.cli(['deploy', dir])).code).toBe(0);
    await writeFile(join(dir, 'rules.json'), '{"max":2}');
    const rules = `rules.json=${join(dir, 'rules.json')}`;
    expect((await berth.cli(['config', 'set', '--file', rules, '--app', APP])).code).toBe(0);
    const plan = (await berth.cli(['plan', dir])).stdout;
    expect(plan).toContain('update, 1 replica replaced (canary)');
    expect(plan).toContain('files[rules.json]: "{\\"max\\":1}" → "{\\"max\\":2}"  (config file:rules.json)');
    expect((await berth.cli(['deploy', dir])).code).toBe(0);
    const diff = (await berth.cli(['diff', APP, '2', '3'])).stdout;
    expect(diff).toContain('files[rules.json]: "{\\"max\\":1}" → "{\\"max\\":2}"  (config file:rules.json)');
  });

  it("shows a route's policy change as a policy change", async () => {
    await writeFile(
      join(dir, 'berth.yaml'),
      [...SPEC.slice(0, -1), '  - { path: /, service: web, policy: { timeout: 2s } }', ''].join('\n'),
    );
    const plan = (await berth.cli(['plan', dir])).stdout;
    expect(plan).toContain('~ route / → web  policy changed, no restart');
    expect(plan).toContain('    policy: ∅ → {"timeoutMs":2000}');
    expect(plan).not.toMatch(/[+-] route/);
  });

  it('refuses to scale an autoscaled service, and makes no revision for the count a service has', async () => {
    const before = (await berth.json<unknown[]>(['history', APP])).length;
    const auto = await berth.cli(['scale', `${APP}/api`, '2']);
    expect(auto.code).toBe(1);
    expect(auto.stderr).toContain(
      'planned/api is autoscaled (min 1, max 3): the autoscaler owns its replica count; change autoscale.min and autoscale.max in berth.yaml and deploy',
    );
    const same = await berth.cli(['scale', `${APP}/web`, '1']);
    expect(same.stderr).toBe('');
    expect(same.stdout).toBe(`${APP}/web already runs 1 replica in revision 3: nothing to change\n`);
    expect((await berth.json<unknown[]>(['history', APP])).length).toBe(before);
    const res = await berth.api('POST', `/api/v1/apps/${APP}/envs/local/services/web/scale`, { replicas: 1 });
    expect(res.status).toBe(200);
  });
});
