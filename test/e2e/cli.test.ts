/**
 * The CLI on its own: bad berth.yaml files get every problem with file:line:col and field path,
 * `berth schema` prints the JSON Schema, and `berth up` (what `npm start` runs) starts the control
 * plane itself, serves the app, and Ctrl-C takes everything down.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, killLeftovers, processesOf, tempHome, waitFor, startBerth } from './harness.js';

async function specFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-spec-'));
  await writeFile(join(dir, 'berth.yaml'), text);
  return join(dir, 'berth.yaml');
}

/** Runs the CLI without a control plane. */
function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('berth validate', () => {
  const run = async (text: string) => {
    const file = await specFile(text);
    return { ...(await runCli(['validate', file])), file };
  };

  it('accepts the example app', async () => {
    const r = await runCli(['validate', join(ROOT, 'examples/shop')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('app shop, 3 services, no problems');
  });

  it('lists every problem at once with file:line:col and field path', async () => {
    const r = await run(
      [
        'name: shop',
        'services:',
        '  web:',
        '    command: node web.js',
        '    replcas: 2',
        '    dependsOn: [orders]',
        '  orders:',
        '    command: node orders.js',
        '    replicas: many',
        '    dependsOn: [inventroy]',
        '    env:',
        '      DB: ${DB_URL}',
        '  inventory:',
        '    command: node inv.js',
        '    dependsOn: [orders]',
        '  payments:',
        '    command: node p.js',
        '    dependsOn: [inventory]',
        '  ledger:',
        '    command: node l.js',
        '    dependsOn: [payments]',
        'routes:',
        '  - { path: /, service: webb }',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(1);
    const out = r.stderr;
    expect(out).toContain(`${r.file}:5:5 services.web.replcas: unknown key \`replcas\` (did you mean \`replicas\`?)`);
    expect(out).toMatch(new RegExp(`${r.file}:9:\\d+ services\\.orders\\.replicas: `));
    expect(out).toContain('unknown service `inventroy` (did you mean `inventory`?)');
    expect(out).toContain('undeclared variable `DB_URL`');
    expect(out).toContain('unknown service `webb` (did you mean `web`?)');
    expect(out).toMatch(/problems/);
  });

  it('prints a dependency cycle as its path', async () => {
    const r = await run(
      [
        'name: shop',
        'services:',
        '  orders:',
        '    command: a',
        '    dependsOn: [inventory]',
        '  inventory:',
        '    command: b',
        '    dependsOn: [orders]',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dependency cycle: (orders → inventory → orders|inventory → orders → inventory)/);
  });

  it('reports broken YAML with its position', async () => {
    const r = await run('name: shop\nservices:\n  web: [unclosed\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${r.file}:\\d+:\\d+`));
  });

  it('prints the JSON Schema of berth.yaml', async () => {
    const schema = JSON.parse((await runCli(['schema'])).stdout) as {
      required: string[];
      properties: Record<string, unknown>;
    };
    expect(schema.required).toContain('name');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['name', 'services', 'variables', 'routes']));
  });
});

describe('deploying with unresolved variables', () => {
  it('names every variable that has no value, with file and line', async () => {
    const berth = await startBerth();
    try {
      const file = await specFile(
        [
          'name: vars',
          'variables:',
          '  DB_URL: { description: where the database is }',
          '  API_KEY: { secret: true }',
          'services:',
          '  api:',
          '    command: node api.js',
          '    env:',
          '      DB: ${DB_URL}',
          '      KEY: ${API_KEY}',
          '      MODE: ${MODE:?set MODE to fast or safe}',
          '',
        ].join('\n'),
      );
      const r = await berth.cli(['deploy', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('3 variables');
      expect(r.stderr).toMatch(new RegExp(`${file}:9:\\d+ services\\.api\\.env\\.DB: .*DB_URL`));
      expect(r.stderr).toMatch(new RegExp(`${file}:10:\\d+ services\\.api\\.env\\.KEY: .*API_KEY`));
      expect(r.stderr).toContain('set MODE to fast or safe');
      const history = await berth.api<unknown[]>('GET', '/api/v1/apps/vars/envs/local/releases');
      expect(history.body).toEqual([]);
    } finally {
      await berth.teardown();
    }
  });
});

describe('berth up (what npm start runs)', () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const h of homes) {
      await killLeftovers(h);
      await rm(h, { recursive: true, force: true });
    }
  });

  it('starts the control plane, serves the app, and Ctrl-C takes everything down', async () => {
    const home = await tempHome();
    homes.push(home);
    const child = spawn(process.execPath, [CLI, 'up', join(ROOT, 'examples/shop')], {
      env: { ...process.env, BERTH_HOME: home, BERTH_PORT: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const edge = await waitFor(
      'the app to run',
      async () => /app:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1],
      60_000,
    );
    expect(out).toMatch(/control plane: http:\/\/127\.0\.0\.1:\d+/);
    const page = await fetch(`${edge}/`);
    expect(await page.text()).toContain('Welcome to the Berth shop');
    // logs follow in the foreground
    await fetch(`${edge}/api/orders`, { method: 'POST', body: JSON.stringify({ item: 'apple' }) });
    await waitFor('order log line', async () => (out.includes('order 1: apple') ? true : undefined), 10_000);

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('took the app down');
    await waitFor(
      'every process of the home to exit',
      async () => ((await processesOf(home)).length === 0 ? true : undefined),
      15_000,
    );
    await expect(fetch(`${edge}/`)).rejects.toThrow();
  });
});
