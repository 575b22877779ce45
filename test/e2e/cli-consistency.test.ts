/**
 * The CLI answers the same way everywhere: every read command prints YAML with -o yaml (the same data
 * as -o json), an unknown app, service or revision exits 1 saying so, a bad global option prints the
 * whole help; environments can be deleted when nothing runs there; the logs of replaced replicas are
 * kept (`logs --previous`); `berth server stop` stops the control plane, and the gateway with it when
 * no app runs.
 */
import { rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { startBerth, waitFor, writeApp, type Berth } from './harness.js';

const APP = 'echo';
let berth: Berth;
let dir: string;

const SERVER = `
import { createServer } from 'node:http';
console.log('hello ' + process.env.GREETING);
createServer((req, res) => res.end(process.env.GREETING)).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

beforeAll(async () => {
  dir = await writeApp('echo', {
    'server.mjs': SERVER,
    'berth.yaml': [
      `name: ${APP}`,
      'variables:',
      '  GREETING: { default: none }',
      'services:',
      '  web:',
      '    command: node server.mjs',
      '    replicas: 2',
      '    env: { GREETING: "${GREETING}" }',
    ],
  });
  berth = await startBerth();
  for (const greeting of ['one', 'two']) {
    expect((await berth.cli(['config', 'set', `GREETING=${greeting}`, '--app', APP])).code).toBe(0);
    const r = await berth.cli(['deploy', dir]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

/** Drops what changes between two reads (CPU, memory, ages). */
function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => !['cpuPercent', 'memoryBytes'].includes(k))
        .map(([k, x]) => [k, stable(x)]),
    );
  return v;
}

describe('-o yaml', () => {
  const reads: string[][] = [
    ['status'],
    ['status', APP],
    ['status', APP, '--replicas'],
    ['history', APP],
    ['diff', APP, '1', '2'],
    ['plan', '<dir>'],
    ['config', 'get', '--app', APP],
    ['config', 'get', 'GREETING', '--app', APP],
    ['config', 'history', '--app', APP],
    ['config', 'diff', '1', '2', '--app', APP],
    ['config', 'variables', '--app', APP],
    ['env', 'list'],
    ['policy', 'show', APP],
    ['validate', '<dir>'],
    ['schema'],
  ];
  it.each(reads.map((args) => [args.join(' '), args]))(
    'berth %s prints the same data as YAML as -o json does',
    async (_name, args) => {
      const argv = (args as string[]).map((a) => (a === '<dir>' ? dir : a));
      const json = await berth.cli([...argv, '-o', 'json']);
      const yaml = await berth.cli([...argv, '-o', 'yaml']);
      expect(json.code, json.stderr).toBe(0);
      expect(yaml.code, yaml.stderr).toBe(0);
      expect(yaml.stdout.trimStart()).not.toMatch(/^[[{]/); // YAML, not JSON (which YAML would also parse)
      expect(stable(parse(yaml.stdout))).toEqual(stable(JSON.parse(json.stdout)));
    },
  );

  it('berth logs -o yaml prints one YAML document per line, as -o json prints one JSON object per line', async () => {
    const json = await berth.cli(['logs', `${APP}/web`, '-o', 'json']);
    const yaml = await berth.cli(['logs', `${APP}/web`, '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(0);
    const fromJson = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(fromJson.length).toBeGreaterThan(0);
    expect(parseAllDocuments(yaml.stdout).map((d) => d.toJS() as unknown)).toEqual(fromJson);
  });
});

describe('unknown names', () => {
  it.each([
    [['status', 'nope'], /no app nope in environment local \(apps there: echo\)/],
    [['history', 'nope'], /no app nope in environment local/],
    [['logs', 'nope'], /no app nope in environment local/],
    [['logs', `${APP}/nope`], /app echo has no service nope in local \(services: web\)/],
    [['diff', APP, '1', '99'], /echo\/local has no revision 99/],
    [['diff', 'nope', '1', '2'], /no app nope in environment local/],
    [['status', APP, '--env', 'nowhere'], /environment nowhere does not exist/],
  ])('berth %j exits 1 and says what is unknown', async (args, message) => {
    const r = await berth.cli(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('bad global options', () => {
  it.each([[['--bogus', 'status']], [['-o', 'xml', 'status']], [['status', APP, '--output=xml']]])(
    'berth %j exits non-zero with the whole help',
    async (args) => {
      const r = await berth.cli(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/^error: /);
      for (const command of ['deploy', 'status', 'logs', 'config', 'env', 'server', 'import'])
        expect(r.stderr).toMatch(new RegExp(`^  ${command} `, 'm'));
    },
  );
});

describe('berth validate', () => {
  it('counts services in the singular and the plural', async () => {
    const one = await berth.cli(['validate', dir]);
    expect(one.stdout).toMatch(/app echo, 1 service, no problems/);
    const three = await berth.cli(['validate', 'examples/shop']);
    expect(three.stdout).toMatch(/app shop, 3 services, no problems/);
  });
});

describe('berth logs --previous', () => {
  it("prints the replaced replicas' lines, while the running ones print the new version's", async () => {
    const current = await berth.cli(['logs', `${APP}/web`]);
    const previous = await berth.cli(['logs', `${APP}/web`, '--previous']);
    expect(previous.code, previous.stderr).toBe(0);
    expect(current.stdout.match(/hello two/g)).toHaveLength(2);
    expect(current.stdout).not.toMatch(/hello one/);
    expect(previous.stdout.match(/hello one/g)).toHaveLength(2);
    expect(previous.stdout).not.toMatch(/hello two/);
    // None of the lines is a running replica's.
    const running = new Set(
      (await berth.json<{ services: { replicas: { id: string }[] }[] }>(['status', APP])).services.flatMap((s) =>
        s.replicas.map((r) => r.id),
      ),
    );
    expect(running.size).toBe(2);
    const lines = previous.stdout.trim().split('\n');
    expect(lines.every((l) => !running.has(l.split(' ')[1]!))).toBe(true);

    const api = await berth.api('GET', `/api/v1/apps/${APP}/envs/local/logs?service=web&previous=true&follow=true`);
    expect(api.status).toBe(400);
    const r = await berth.cli(['logs', `${APP}/web`, '--previous', '-f']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/drop --follow/);
  });
});

describe('berth env delete', () => {
  it('deletes an environment, refused (409, naming the apps) while an app runs there', async () => {
    expect((await berth.cli(['env', 'create', 'stg'])).code).toBe(0);
    expect((await berth.cli(['deploy', dir, '--env', 'stg'])).code).toBe(0);
    const refused = await berth.cli(['env', 'delete', 'stg']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/environment stg still runs app echo: take it down first/);
    const api = await berth.api<{ code: string; message: string }>('DELETE', '/api/v1/environments/stg');
    expect(api.status).toBe(409);
    expect(api.body.message).toMatch(/echo/);

    expect((await berth.cli(['down', APP, '--env', 'stg'])).code).toBe(0);
    const deleted = await berth.cli(['env', 'delete', 'stg']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe('environment stg deleted\n');
    expect((await berth.json<{ name: string }[]>(['env', 'list'])).map((e) => e.name)).toEqual(['local']);
    expect((await berth.api('DELETE', '/api/v1/environments/stg')).status).toBe(404);
  }, 60_000);
});

describe('berth server stop', () => {
  const gatewayPid = (): number =>
    (JSON.parse(readFileSync(join(berth.home, 'gateway', 'gateway.json'), 'utf8')) as { pid: number }).pid;
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const exited = (): Promise<boolean> =>
    waitFor('control plane exit', async () => berth.proc.exitCode !== null || berth.proc.signalCode !== null);

  it('stops the control plane gracefully; the gateway stops with it only when no app runs', async () => {
    const stop = await berth.cli(['server', 'stop']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/^control plane at http:\/\/127\.0\.0\.1:\d+ \(pid \d+\) stopped\n$/);
    await exited();
    expect(berth.proc.exitCode).toBe(0);
    // The app runs on: the gateway serves it.
    expect(alive(gatewayPid())).toBe(true);

    const none = await berth.cli(['server', 'stop']);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^no control plane runs at /);

    await berth.restart();
    expect((await berth.cli(['down', APP])).code).toBe(0);
    const gateway = gatewayPid();
    expect((await berth.cli(['server', 'stop'])).code).toBe(0);
    await exited();
    await waitFor('gateway exit', async () => !alive(gateway), 15_000);
  }, 90_000);
});
