/**
 * Debian's PostgreSQL as a stateful Berth service: `initdb` on its volume at first start, `postgres
 * -D $PGDATA` on the replica's stable port, a migration job that creates the table between the
 * database and the API (`kind: job`; the API dependsOn it), and an API that reads the table through
 * `DB_0_HOST:DB_0_PORT`. A row inserted with psql
 * is still there after a deploy that replaces the database, a restart, `berth down` + `berth up` and
 * a SIGKILL of the control plane. PostgreSQL refuses to run as root: as root, the control plane (and
 * so every replica) runs as the `postgres` user the Debian package creates.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerth, tempHome, waitFor, writeApp, type Berth } from './harness.js';

const execFileP = promisify(execFile);
const PG = '/usr/lib/postgresql/15/bin';

interface Status {
  services: { service: string; address?: { url: string }; replicas: { id: string; port?: number; phase: string }[] }[];
}

const startDb = [
  'set -e',
  `if [ ! -s "$PGDATA/PG_VERSION" ]; then ${PG}/initdb -D "$PGDATA" -U postgres --auth=trust --no-sync >/dev/null; fi`,
  `exec ${PG}/postgres -D "$PGDATA" -p "$PORT" -k "$PGDATA" -c listen_addresses=127.0.0.1 -c fsync=off`,
];

const api = [
  "import { execFile } from 'node:child_process';",
  "import { createServer } from 'node:http';",
  'const { DB_0_HOST, DB_0_PORT } = process.env;',
  'createServer((req, res) => {',
  `  execFile('${PG}/psql', ['-h', DB_0_HOST, '-p', DB_0_PORT, '-U', 'postgres', '-Atc', 'select note from notes order by note'], (err, out, errOut) => {`,
  '    if (err) { res.writeHead(500).end(String(errOut)); return; }',
  '    res.end(out);',
  '  });',
  "}).listen(Number(process.env.PORT), '127.0.0.1');",
  "process.on('SIGTERM', () => process.exit(0));",
];

const spec = (version: string): string[] => [
  'name: pg',
  'volumes:',
  '  pgdata: { size: 1Gi }',
  'services:',
  '  db:',
  '    stateful: true',
  '    command: sh start-db.sh',
  `    env: { VERSION: "${version}" }`,
  '    volumes:',
  '      - { volume: pgdata, path: /var/lib/postgresql/data, env: PGDATA }',
  '    health:',
  `      readiness: { exec: { command: "${PG}/pg_isready -q -h 127.0.0.1 -p $PORT" }, period: 1s }`,
  '  migrate:',
  '    kind: job',
  '    dependsOn: [db]',
  `    command: ${PG}/psql -h $$DB_0_HOST -p $$DB_0_PORT -U postgres -v ON_ERROR_STOP=1 -qc "create table if not exists notes (note text)"`,
  '  api:',
  '    dependsOn: [migrate]',
  '    command: node api.mjs',
];

interface Jobs {
  jobs: { job: string; runs: { trigger: string; status: string; exitCode?: number | null }[] }[];
}

let berth: Berth;
let dir: string;

beforeAll(async () => {
  dir = await writeApp('pg', { 'start-db.sh': startDb, 'api.mjs': api, 'berth.yaml': spec('1') });
  const home = await tempHome('berth-pg-');
  let user: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    const { stdout } = await execFileP('id', ['-u', 'postgres']);
    const { stdout: gid } = await execFileP('id', ['-g', 'postgres']);
    user = { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
    for (const d of [home, dir]) await chown(d, user.uid, user.gid);
    await chmod(dir, 0o755);
  }
  berth = await startBerth({ home, ...(user ? { user } : {}) });
}, 60_000);
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

async function ok(args: string[]): Promise<void> {
  const r = await berth.cli(args);
  expect(r.code, `berth ${args.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(0);
}

/** The database replica's port (stable per index) and what the API reads from it. */
async function state(): Promise<{ dbPort: number; notes: string }> {
  const st = await berth.json<Status>(['status', 'pg']);
  const db = st.services.find((s) => s.service === 'db')!;
  const url = st.services.find((s) => s.service === 'api')!.address!.url;
  const notes = await waitFor('the api to read the table', async () => {
    const res = await fetch(url);
    return res.ok ? await res.text() : undefined;
  });
  expect(db.replicas.map((r) => r.id)).toEqual(['db-0']);
  return { dbPort: db.replicas[0]!.port!, notes };
}

describe('PostgreSQL on a volume', () => {
  it('migrates with a job before the API and keeps a row across a deploy of a change, a restart, down + up and a control-plane SIGKILL', async () => {
    await ok(['deploy', dir]);
    const first = await state();
    expect(first.notes).toBe('');
    // The migration ran once, as a job, before the API started.
    const jobs = await waitFor('the migration in the job history', async () => {
      const j = await berth.json<Jobs>(['jobs', 'pg', 'migrate']);
      return j.jobs[0]?.runs.some((r) => r.status === 'succeeded') ? j : undefined;
    });
    expect(jobs.jobs[0]!.runs.map((r) => [r.trigger, r.status, r.exitCode])).toEqual([['deploy', 'succeeded', 0]]);
    await execFileP(`${PG}/psql`, [
      '-h',
      '127.0.0.1',
      '-p',
      String(first.dbPort),
      '-U',
      'postgres',
      '-qc',
      "insert into notes values ('kept')",
    ]);
    expect((await state()).notes).toBe('kept\n');

    // A change of the database replaces its replica: same index, same port, same data.
    await writeFile(join(dir, 'berth.yaml'), spec('2').join('\n'));
    await ok(['deploy', dir]);
    expect(await state()).toEqual({ dbPort: first.dbPort, notes: 'kept\n' });

    await ok(['restart', 'pg/db']);
    expect(await state()).toEqual({ dbPort: first.dbPort, notes: 'kept\n' });

    await ok(['down', 'pg']);
    await ok(['up', dir, '-d']);
    expect((await state()).notes).toBe('kept\n');

    await berth.kill('SIGKILL');
    await berth.restart();
    expect((await state()).notes).toBe('kept\n');
    await writeFile(join(dir, 'berth.yaml'), spec('3').join('\n'));
    await ok(['deploy', dir]);
    expect((await state()).notes).toBe('kept\n');
  }, 150_000);
});
