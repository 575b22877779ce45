/**
 * `berth config variables` (and `GET …/variables`): for the berth.yaml of the app's latest
 * revision, each variable's value in force and its source, the services that use it, the used ones
 * without a value (before a deploy fails on them), config keys no field uses; secrets masked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { startBerth, writeApp, type Berth } from './harness.js';
import type { Variables } from '../../src/server/apiTypes.js';

const APP = 'vars-demo';
let berth: Berth;
let dir: string;

const SERVER = `
import { createServer } from 'node:http';
createServer((req, res) => res.end(process.env.GREETING)).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

beforeAll(async () => {
  dir = await writeApp('vars', {
    'server.mjs': SERVER,
    'berth.yaml': [
      `name: ${APP}`,
      'variables:',
      '  GREETING: { default: hello, description: what the api answers }',
      '  API_TOKEN: { secret: true, description: issued by the platform team }',
      '  LOG_LEVEL: info',
      'services:',
      '  api:',
      '    command: node server.mjs',
      '    env: { GREETING: "${GREETING}", TOKEN: "${API_TOKEN}", LEVEL: "${LOG_LEVEL}" }',
      '  worker:',
      '    command: node server.mjs',
      '    env: { LEVEL: "${LOG_LEVEL}", TAG: "${TAG:-latest}" }',
    ],
  });
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

describe('berth config variables', () => {
  it('answers 404 with the reason for an app never deployed', async () => {
    const r = await berth.cli(['config', 'variables', '--app', APP]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${APP} has never been deployed to local`);
  });

  it('shows values, sources, users and secrets masked; then a missing one before a deploy fails on it', async () => {
    let r = await berth.cli(['config', 'set', 'API_TOKEN=tok-123456', '--secret', '--app', APP]);
    expect(r.code, r.stderr).toBe(0);
    r = await berth.cli(['config', 'set', 'LOG_LEVEL=debug', 'LOG_LEVL=oops', '--app', APP]);
    expect(r.code, r.stderr).toBe(0);
    r = await berth.cli(['deploy', dir]);
    expect(r.code, r.stderr).toBe(0);

    const v = await berth.json<Variables>(['config', 'variables', '--app', APP]);
    expect(v).toMatchObject({ app: APP, env: 'local', revision: 1, configVersion: 2 });
    const by = Object.fromEntries(v.variables.map((x) => [x.name, x]));
    expect(Object.keys(by)).toEqual(['API_TOKEN', 'GREETING', 'LOG_LEVEL', 'LOG_LEVL', 'TAG']);
    expect(by.GREETING).toMatchObject({ source: 'default', value: 'hello', usedBy: ['api'], missing: false });
    expect(by.LOG_LEVEL).toMatchObject({ source: 'config', value: 'debug', usedBy: ['api', 'worker'] });
    expect(by.API_TOKEN).toMatchObject({ secret: true, source: 'config', value: '******' });
    expect(JSON.stringify(v)).not.toContain('tok-123456');
    expect(by.LOG_LEVL).toMatchObject({ declared: false, usedBy: [] });
    expect(by.TAG).toMatchObject({ declared: false, missing: false, usedBy: ['worker'] });

    const table = await berth.cli(['config', 'variables', '--app', APP]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/LOG_LEVEL\s+debug\s+config\s+api,worker\s+/);
    expect(table.stdout).toMatch(/LOG_LEVL\s+oops\s+config\s+unused \(not in berth.yaml\)/);
    expect(table.stdout).not.toContain('tok-123456');

    r = await berth.cli(['config', 'unset', 'API_TOKEN', '--app', APP]);
    expect(r.code, r.stderr).toBe(0);
    const after = await berth.cli(['config', 'vars', '--app', APP]);
    expect(after.stdout).toMatch(/API_TOKEN\s+MISSING\s+-\s+api\s+issued by the platform team/);
    expect(after.stdout).toContain(
      `1 used variable has no value: berth config set API_TOKEN=… --app ${APP} --env local`,
    );
    // What the report warned of is what a deploy then refuses.
    const deploy = await berth.cli(['deploy', dir]);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain('API_TOKEN');
  });
});
