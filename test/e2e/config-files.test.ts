/**
 * Config files of an environment's config set reach a service through `files[].fromConfig`: a
 * deploy without the file says which field needs it, the file's versions are deployed like values,
 * and `berth plan` names the config file as the cause of a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerth, writeApp, type Berth } from './harness.js';

const APP = 'files-demo';
let berth: Berth;
let dir: string;

const SERVER = `
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  res.end(readFileSync(join(process.env.BERTH_CONFIG_DIR, 'rules.json'), 'utf8'));
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

async function served(): Promise<string> {
  const st = await berth.json<{ edge: { url: string } }>(['status', APP]);
  return (await fetch(st.edge.url)).text();
}

beforeAll(async () => {
  dir = await writeApp('files', {
    'server.mjs': SERVER,
    'berth.yaml': [
      `name: ${APP}`,
      'services:',
      '  api:',
      '    command: node server.mjs',
      '    ports: [8080]',
      '    files:',
      '      - { path: rules.json, fromConfig: rules.json }',
      '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
      'routes:',
      '  - { path: /, service: api }',
    ],
  });
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

describe('config files from the config set', () => {
  it('refuses a deploy whose config set lacks the file, naming the field and its line', async () => {
    const r = await berth.cli(['deploy', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/berth\.yaml:7:\d+ services\.api\.files\.0\.fromConfig: .*has no file rules\.json/);
  });

  it('deploys the file, and a new version of it with the cause in the plan', async () => {
    const local = join(dir, 'rules-v1.json');
    await writeFile(local, '{"max":3}');
    expect((await berth.cli(['config', 'set', '--file', `rules.json=${local}`, '--app', APP])).code).toBe(0);
    const first = await berth.cli(['deploy', dir]);
    expect(first.code, first.stderr).toBe(0);
    expect(await served()).toBe('{"max":3}');

    await writeFile(local, '{"max":5}');
    expect((await berth.cli(['config', 'set', '--file', `rules.json=${local}`, '--app', APP])).code).toBe(0);
    const plan = await berth.cli(['plan', dir]);
    expect(plan.stdout).toMatch(
      /files\[rules\.json\]: "\{\\"max\\":3\}" → "\{\\"max\\":5\}"\s+\(config file:rules\.json\)/,
    );
    expect((await berth.cli(['deploy', dir])).code).toBe(0);
    expect(await served()).toBe('{"max":5}');
  });
});
