/**
 * `kind: job` on one machine, with real processes: a migration job between a "database" service and
 * an API that dependsOn it. The API starts only after the job succeeded; an unchanged job is not run
 * again by the next deploy; a failing job is retried per backoffLimit, then fails the release with
 * the tail of its log (and the rollback does not run the old job again). Bad job specs are refused
 * with file:line:col and the field.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobsStatus } from '../../src/server/apiTypes.js';
import { startBerth, waitFor, writeApp, type Berth } from './harness.js';

const APP = 'jobs-demo';
let berth: Berth;
let dir: string;

/** The "database": keeps its tables in data/tables.json; `POST /migrate` creates them. */
const DB = `
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
mkdirSync('data', { recursive: true });
createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  if (req.method === 'POST' && req.url === '/migrate') {
    if (!existsSync('data/tables.json')) writeFileSync('data/tables.json', JSON.stringify({ users: [] }));
    return res.end('migrated');
  }
  if (!existsSync('data/tables.json')) { res.statusCode = 404; return res.end('no tables'); }
  res.end(readFileSync('data/tables.json'));
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

/** The migration: logs its start and end in data/order.log, creates the tables through the db's address. */
const MIGRATE = `
import { appendFileSync } from 'node:fs';
appendFileSync('data/order.log', 'job-start\\n');
console.log('migrating ' + process.env.DB_URL);
await new Promise((r) => setTimeout(r, 300));
if (process.env.FAIL) {
  console.error('ERROR: relation "users" has a conflicting column');
  process.exit(2);
}
const res = await fetch(process.env.DB_URL + '/migrate', { method: 'POST' });
console.log('db said ' + (await res.text()));
appendFileSync('data/order.log', 'job-end\\n');
`;

/** The API: refuses to start without the tables (so starting before the job would crash it). */
const API = `
import { createServer } from 'node:http';
import { appendFileSync } from 'node:fs';
appendFileSync('data/order.log', 'api-start\\n');
const tables = await fetch(process.env.DB_URL + '/tables');
if (!tables.ok) { console.error('no tables yet'); process.exit(1); }
createServer(async (req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  res.end(await (await fetch(process.env.DB_URL + '/tables')).text());
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

function spec(opts: { apiGreeting?: string; fail?: boolean } = {}): string[] {
  return [
    `name: ${APP}`,
    'services:',
    '  db:',
    '    command: node db.mjs',
    '    ports: [8080]',
    '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
    '  migrate:',
    '    kind: job',
    '    command: node migrate.mjs',
    '    backoffLimit: 1',
    '    restart: { initialBackoff: 100ms, maxBackoff: 200ms }',
    '    dependsOn: [db]',
    ...(opts.fail ? ['    env: { FAIL: "1" }'] : []),
    '  api:',
    '    command: node api.mjs',
    '    ports: [8080]',
    `    env: { GREETING: ${opts.apiGreeting ?? 'hi'} }`,
    '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
    '    dependsOn: [db, migrate]',
    'routes:',
    '  - { path: /, service: api }',
  ];
}

async function order(): Promise<string[]> {
  return (await readFile(join(dir, 'data', 'order.log'), 'utf8')).split('\n').filter(Boolean);
}

beforeAll(async () => {
  dir = await writeApp('jobs', { 'db.mjs': DB, 'migrate.mjs': MIGRATE, 'api.mjs': API, 'berth.yaml': spec() });
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

describe('a migration job between a database and an API', () => {
  it('runs the job to completion before the API starts', async () => {
    const r = await berth.cli(['deploy', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(await order()).toEqual(['job-start', 'job-end', 'api-start']);
    const st = await berth.json<{ edge: { url: string } }>(['status', APP]);
    expect(await (await fetch(st.edge.url)).text()).toBe('{"users":[]}');
    const logs = await berth.cli(['logs', `${APP}/migrate`]);
    expect(logs.stdout).toMatch(/db said migrated/);
  });

  it('does not run an unchanged job again on the next deploy', async () => {
    await writeFile(join(dir, 'berth.yaml'), spec({ apiGreeting: 'hello' }).join('\n'));
    const r = await berth.cli(['deploy', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(await order()).toEqual(['job-start', 'job-end', 'api-start', 'api-start']);
  });

  it('retries a failing job per backoffLimit, then fails the release with its log tail', async () => {
    await writeFile(join(dir, 'berth.yaml'), spec({ apiGreeting: 'hello', fail: true }).join('\n'));
    const r = await berth.cli(['deploy', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(
      'migrate: job failed after 2 runs; last exit: exit code 2; log tail: migrating http://127.0.0.1:',
    );
    expect(r.stdout + r.stderr).toContain('ERROR: relation "users" has a conflicting column');
    // Two runs of the failing version, no API restart; the rollback did not run the old job again.
    expect(await order()).toEqual(['job-start', 'job-end', 'api-start', 'api-start', 'job-start', 'job-start']);
    // The runs are recorded in the store: berth jobs shows both versions' runs, newest first.
    const st = await waitFor(
      'both runs in the history',
      async () => {
        const s = await berth.json<JobsStatus>(['jobs', APP, 'migrate']);
        const runs = s.jobs[0]!.runs;
        return runs.length === 2 && runs.every((r) => r.status !== 'running') ? s : undefined;
      },
      10_000,
      200,
    );
    expect(st.jobs[0]).toMatchObject({ job: 'migrate', kind: 'job', backoffLimit: 1 });
    const [failed, ok] = st.jobs[0]!.runs;
    expect(failed).toMatchObject({ trigger: 'deploy', status: 'failed', exitCode: 2, reason: 'exit code 2' });
    expect(failed!.logTail).toContain('ERROR: relation "users" has a conflicting column');
    expect(ok).toMatchObject({ trigger: 'deploy', status: 'succeeded', exitCode: 0 });
    expect(ok!.logTail.at(-1)).toBe('db said migrated');
  });
});

describe('bad job specs', () => {
  it('refuses a job with replicas and a cronjob without schedule, naming file:line:col and field', async () => {
    const bad = await writeApp('badjobs', {
      'berth.yaml': [
        'name: bad-jobs',
        'services:',
        '  migrate:',
        '    kind: job',
        '    command: node migrate.mjs',
        '    replicas: 2',
        '  nightly:',
        '    kind: cronjob',
        '    command: node report.mjs',
      ],
    });
    try {
      const r = await berth.cli(['plan', bad]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/berth\.yaml:6:\d+ services\.migrate\.replicas: /);
      expect(r.stderr).toMatch(/berth\.yaml:8:\d+ services\.nightly\.kind: a `kind: cronjob` service needs `schedule`/);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
