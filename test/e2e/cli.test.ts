/**
 * The CLI on its own: bad berth.yaml files get every problem with file:line:col and field path,
 * `berth schema` prints the JSON Schema, and `berth up` (what `npm start` runs) starts the control
 * plane itself, serves the app, and Ctrl-C takes everything down; bin/berth.js keeps the bundled CLI's
 * compiled code in a cache it checks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, killLeftovers, processesOf, tempHome, waitFor, startBerth } from './harness.js';
import { freePort } from '../../src/gateway/testing.js';

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
      // No revision was recorded: the app is unknown there.
      const history = await berth.api<{ code: string }>('GET', '/api/v1/apps/vars/envs/local/releases');
      expect(history.status).toBe(404);
      expect(history.body.code).toBe('NOT_FOUND');
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
      env: {
        ...process.env,
        BERTH_HOME: home,
        BERTH_PORT: '0',
        BERTH_EDGE_PORT: String(await freePort()),
        NO_COLOR: '1',
      },
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

describe('the berth command (bin/berth.js)', () => {
  // A copy of the command and its bundle, so its code cache can be spoiled without touching the one
  // the other tests run.
  const copy = async (): Promise<{ dir: string; run: () => Promise<string>; cache: string }> => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-bin-'));
    await mkdir(join(dir, 'bin'));
    await mkdir(join(dir, 'dist/cli'), { recursive: true });
    for (const f of ['bin/berth.js', 'bin/codeCache.js', 'bin/package.json', 'dist/cli/berth.cjs', 'package.json'])
      await copyFile(join(ROOT, f), join(dir, f));
    const run = () =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [join(dir, 'bin/berth.js'), '--version'], (err, stdout) =>
          err ? reject(err) : resolve(stdout.trim()),
        ),
      );
    return { dir, run, cache: join(dir, 'dist/cli/berth.cjs.cache') };
  };

  it('keeps the compiled CLI in a code cache, and compiles again when the cache is not for this bundle', async () => {
    const { dir, run, cache } = await copy();
    const version = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version as string;
    await expect(stat(cache)).rejects.toThrow();
    expect(await run()).toBe(version);
    const written = await stat(cache);
    expect(written.size).toBeGreaterThan(1000);
    // Used as it is: not written again.
    expect(await run()).toBe(version);
    expect((await stat(cache)).mtimeMs).toBe(written.mtimeMs);
    // A cache V8 refuses (another build's, or damaged) is replaced by one it accepts.
    await writeFile(cache, 'not a code cache');
    expect(await run()).toBe(version);
    expect((await readFile(cache)).toString('latin1')).not.toBe('not a code cache');
    // A cache older than the bundle (made for an earlier build) is not even offered: V8 would check
    // only the source's length. It is replaced.
    const before = new Date((await stat(join(dir, 'dist/cli/berth.cjs'))).mtimeMs - 60_000);
    await utimes(cache, before, before);
    expect(await run()).toBe(version);
    expect((await stat(cache)).mtimeMs).toBeGreaterThan(before.getTime() + 30_000);
    await rm(dir, { recursive: true, force: true });
  });

  it('says how to build the CLI when it is not built', async () => {
    const { dir } = await copy();
    await rm(join(dir, 'dist'), { recursive: true });
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [join(dir, 'bin/berth.js'), 'status'], (err, _out, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stderr }),
      ),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the CLI is not built yet; run `npm install`');
    await rm(dir, { recursive: true, force: true });
  });
});
