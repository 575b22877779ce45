/**
 * `berth import` for real: the built CLI turns a compose file into berth.yaml and berth.config.sh,
 * `berth validate` accepts the result, an invalid compose file exits 1 with file:line:col, and the
 * imported app runs: the config script sets its values on a real control plane and `berth deploy`
 * brings both services up behind readiness probes that pass only when the imported values and the
 * rewritten service address are right.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startBerth, waitFor, type Berth } from './harness.js';

// Both servers answer 200 only when their imported configuration is right: api needs GREETING and
// the secret API_TOKEN from the config set, web needs API_URL rewritten to api's Berth address.
const API = `require('http').createServer((q, s) => { const ok = process.env.GREETING === 'hello' && process.env.API_TOKEN === ['tok', '1'].join('-'); s.statusCode = ok ? 200 : 500; s.end(ok ? 'api ok' : 'bad config'); }).listen(process.env.PORT)`;
const WEB = `require('http').createServer(async (q, s) => { try { const r = await fetch(process.env.API_URL + '/'); s.statusCode = r.status; s.end(await r.text()); } catch (e) { s.statusCode = 502; s.end(String(e)); } }).listen(process.env.PORT)`;

const COMPOSE = `name: imported
services:
  api:
    build: .
    command: ["node", "-e", ${JSON.stringify(API)}]
    ports: ["8080:8080"]
    environment:
      GREETING: \${GREETING:-hello}
      API_TOKEN: tok-1
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8080/"]
      interval: 1s
      timeout: 1s
  web:
    build: .
    command: ["node", "-e", ${JSON.stringify(WEB)}]
    expose: ["3000"]
    environment:
      API_URL: http://api:8080
    depends_on:
      api: { condition: service_healthy }
    healthcheck:
      test: curl -fsS http://localhost:3000/ || exit 1
      interval: 1s
    networks: [back]
networks:
  back: {}
`;

function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 170_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const berthCli = (args: string[], env: Record<string, string> = {}) => run(process.execPath, [CLI, ...args], env);

let dir = '';
let berth: Berth | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-import-e2e-'));
  await writeFile(join(dir, 'docker-compose.yml'), COMPOSE);
});
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

describe('berth import', () => {
  it('writes a berth.yaml that berth validate accepts, and a private config script', async () => {
    const r = await berthCli(['import', join(dir, 'docker-compose.yml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/changed\s+services\.web\.environment\.API_URL\s+services\.web\.env\.API_URL/);
    expect(r.stdout).toMatch(/unmapped\s+services\.web\.networks/);
    expect(r.stdout).toContain(`wrote ${join(dir, 'berth.yaml')}`);

    const spec = await readFile(join(dir, 'berth.yaml'), 'utf8');
    expect(spec.startsWith('# imported from docker-compose.yml')).toBe(true);
    expect(spec).toContain('API_URL: http://${API_HOST}:${API_PORT}');
    expect(spec).not.toContain('tok-1');
    expect((await stat(join(dir, 'berth.config.sh'))).mode & 0o777).toBe(0o600);

    const v = await berthCli(['validate', dir]);
    expect(v.stdout).toContain('app imported, 2 services, no problems');
    expect(v.code).toBe(0);
  });

  it('refuses to overwrite, and prints the report as JSON with -o json', async () => {
    const again = await berthCli(['import', join(dir, 'docker-compose.yml')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists (pass --force');

    const r = await berthCli(['import', join(dir, 'docker-compose.yml'), '--dry-run', '-o', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      app: string;
      out: string | null;
      variables: { name: string; secret: boolean }[];
      entries: { key: string; status: string; line: number }[];
    };
    expect(report.app).toBe('imported');
    expect(report.out).toBeNull();
    expect(report.variables).toEqual([
      { name: 'API_TOKEN', secret: true, hasValue: true, services: ['api'] },
      { name: 'GREETING', secret: false, hasValue: true, services: ['api'] },
    ]);
    expect(report.entries.find((e) => e.key === 'services.web.depends_on.api')).toMatchObject({
      status: 'mapped',
      line: 21,
    });
  });

  it('writes berth.yaml where -o names it (`berth import compose.yml -o berth.yaml`), with -o json for the report', async () => {
    const target = join(dir, 'out', 'berth.yaml');
    const r = await berthCli(['import', join(dir, 'docker-compose.yml'), '-o', target, '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { out: string }).out).toBe(target);
    expect(await readFile(target, 'utf8')).toContain('# imported from');
    expect((await stat(join(dir, 'out', 'berth.config.sh'))).isFile()).toBe(true);
  });

  it('exits 1 with file:line:col for an invalid compose file', async () => {
    const bad = join(dir, 'bad.yml');
    await writeFile(bad, 'services:\n  web:\n    image: x\n    ports: "80"\n    deploy: { replicas: lots }\n');
    const r = await berthCli(['import', bad, '--out', join(dir, 'bad-berth.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:4:12 services.web.ports: expected a list, got the string "80"`);
    expect(r.stderr).toContain(`${bad}:5:25 services.web.deploy.replicas: expected a number, got the string "lots"`);
  });

  it('runs the imported app: config script applied, both services ready', async () => {
    berth = await startBerth();
    const env = { BERTH_HOME: berth.home, BERTH: `${process.execPath} ${CLI}` };
    // GREETING already holds the script's value: its `config set` changes nothing, and the script
    // goes on to set the secrets (a no-op set used to exit 1 and stop the `set -e` script there).
    const pre = await berth.cli(['config', 'set', '--app', 'imported', '--env', 'local', 'GREETING=hello']);
    expect(pre.code).toBe(0);
    const applied = await run('sh', [join(dir, 'berth.config.sh'), '--env', 'local'], env);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toBe('unchanged: config version 1 already holds these values\nconfig version 2 (was 1)\n');
    // Applied again: every set is unchanged, and the script still succeeds.
    const again = await run('sh', [join(dir, 'berth.config.sh'), '--env', 'local'], env);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout.match(/^unchanged: config version 2 /gm)).toHaveLength(2);
    const got = await berth.json<{ values: Record<string, { value: string; secret: boolean }> }>([
      'config',
      'get',
      '--app',
      'imported',
      '--env',
      'local',
    ]);
    expect(got.values.API_TOKEN).toMatchObject({ secret: true });
    expect(got.values.API_TOKEN!.value).not.toBe('tok-1');
    expect(got.values.GREETING).toEqual({ value: 'hello', secret: false });

    const d = await berth.cli(['deploy', dir, '-m', 'imported']);
    expect(d.stderr).toContain('revision 1 is live');
    expect(d.code).toBe(0);
    const st = await waitFor('ready services', async () => {
      const s = await berth!.json<{ services: { service: string; readyReplicas: number }[] }>(['status', 'imported']);
      return s.services.every((x) => x.readyReplicas === 1) ? s : undefined;
    });
    expect(st.services.map((s) => s.service).sort()).toEqual(['api', 'web']);
  });
});
