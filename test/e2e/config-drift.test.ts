/**
 * The config set against what runs, through the real control plane and processes: after a deploy
 * of new values failed and rolled back, `berth status` and `berth plan` say the config set is
 * ahead of the running release (which keys, which revision failed with them) and how to return;
 * `berth config revert APP --to N` makes a new version with version N's content, secrets included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { startBerth, writeApp, type Berth } from './harness.js';

const APP = 'drift';
const SERVER = [
  "import http from 'node:http';",
  "if (process.env.MODE === 'bad') { console.error('bad mode'); process.exit(3); }",
  'http.createServer((q, s) => s.end(process.env.MODE)).listen(Number(process.env.PORT), "127.0.0.1");',
];

let berth: Berth;
let dir: string;

interface Release {
  revision: number;
  kind: string;
  status: string;
  configVersion: number;
}

beforeAll(async () => {
  dir = await writeApp('drift', {
    'server.mjs': SERVER,
    'berth.yaml': [
      `name: ${APP}`,
      'variables:',
      '  MODE: { default: good }',
      '  TOKEN: { secret: true }',
      'services:',
      '  api:',
      '    command: node server.mjs',
      '    ports: [{ name: http, port: 8080 }]',
      '    env: { MODE: "${MODE}", TOKEN: "${TOKEN}" }',
      '    health: { readiness: { tcp: {}, period: 1s } }',
    ],
  });
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

describe('config ahead of the running release', () => {
  it('says which values failed after an auto-rollback, and reverts them, secrets included', async () => {
    expect((await berth.cli(['config', 'set', 'TOKEN=tok-one', '--secret', '--app', APP])).code).toBe(0);
    expect((await berth.cli(['deploy', dir])).code).toBe(0);
    // Nothing is ahead: status says nothing about the config.
    expect((await berth.cli(['status', APP])).stdout).not.toMatch(/ahead/);

    expect((await berth.cli(['config', 'set', 'MODE=bad', '--app', APP])).code).toBe(0);
    expect((await berth.cli(['config', 'set', 'TOKEN=tok-two', '--app', APP])).code).toBe(0);
    const failed = await berth.cli(['deploy', dir, '--timeout', '4s']);
    expect(failed.code).toBe(1);
    const history = await berth.json<Release[]>(['history', APP]);
    expect(history.map((r) => [r.revision, r.kind, r.status, r.configVersion])).toEqual([
      [3, 'auto-rollback', 'succeeded', 1],
      [2, 'deploy', 'failed', 3],
      [1, 'deploy', 'succeeded', 1],
    ]);

    const status = (await berth.cli(['status', APP])).stdout;
    expect(status).toContain('config version 3 is ahead of what runs (revision 3 runs config version 1): MODE, TOKEN');
    expect(status).toMatch(/revision 2 deployed config version 3 and failed: /);
    expect(status).toContain(`to return to what runs: berth config revert ${APP} --env local --to 1`);
    const plan = await berth.cli(['plan', dir]);
    expect(plan.stdout).toContain('config version 3 is ahead of what runs (revision 3 runs config version 1)');
    expect(plan.stdout).toContain('the next deploy deploys these values again');
    const drift = (await berth.json<{ configDrift?: unknown }>(['status', APP])).configDrift;
    expect(drift).toMatchObject({
      runningRevision: 3,
      runningConfigVersion: 1,
      latestConfigVersion: 3,
      keys: ['MODE', 'TOKEN'],
      failed: [{ revision: 2, configVersion: 3 }],
    });

    const revert = await berth.cli(['config', 'revert', APP, '--to', '1']);
    expect(revert.stderr).toBe('');
    expect(revert.stdout).toBe('config version 4 (was 3) has the content of version 1: MODE, TOKEN\n');
    const token = await berth.cli(['config', 'get', 'TOKEN', '--app', APP, '--reveal']);
    expect(token.stdout).toBe('tok-one\n');
    const v4 = await berth.json<{ author: string; message: string; values: Record<string, { secret: boolean }> }>([
      'config',
      'get',
      '--app',
      APP,
    ]);
    expect(v4).toMatchObject({ message: 'revert to version 1', values: { TOKEN: { secret: true } } });
    expect(v4.values.MODE).toBeUndefined();
    expect((await berth.cli(['status', APP])).stdout).not.toMatch(/ahead/);
    expect((await berth.cli(['plan', dir])).stdout).toMatch(/no changes/);

    // Reverting to what the latest already holds changes nothing, and says so.
    const again = await berth.cli(['config', 'revert', APP, '--to', '1']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/version 4 of drift\/local already has the content of version 1/);
    const missing = await berth.cli(['config', 'revert', APP, '--to', '9']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/config version 9 of drift\/local does not exist \(latest is 4\)/);
  });
});
