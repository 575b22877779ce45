/**
 * The data directory is the owner's alone whether or not it existed before the first start: after a
 * real server start and a deploy, every directory under BERTH_HOME is 0700 and every file (the
 * database and its WAL/SHM, the server's and replicas' logs, the token, the gateway's files) 0600,
 * with a home pre-created 0755 under umask 022 as with one the server creates. The workload itself
 * still runs with the umask the server was started with.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, writeApp, type Berth } from './harness.js';

const SERVER = `
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
// What the workload creates follows the umask the server was started with, not Berth's 077.
writeFileSync(process.env.PROBE_FILE, 'x');
createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

let berth: Berth | undefined;
let outside: string | undefined;
afterEach(async () => {
  await berth?.teardown();
  berth = undefined;
  if (outside) await rm(outside, { recursive: true, force: true });
});

/** Every path under `dir` whose mode is not owner-only: 0700 for directories, 0600 for files. */
async function notPrivate(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const st = await lstat(d);
    if ((st.mode & 0o777) !== 0o700) out.push(`${d}/ ${(st.mode & 0o777).toString(8)}`);
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const mode = (await lstat(p)).mode & 0o777;
        if (mode !== 0o600) out.push(`${p} ${mode.toString(8)}`);
      } else if (!e.isSymbolicLink()) {
        const mode = (await lstat(p)).mode & 0o777;
        if ((mode & 0o077) !== 0) out.push(`${p} ${mode.toString(8)}`); // sockets, fifos
      }
    }
  };
  await walk(dir);
  return out;
}

async function startAndDeploy(home: string): Promise<void> {
  outside = await mkdtemp(join(tmpdir(), 'berth-modes-probe-'));
  const dir = await writeApp('modes', {
    'server.mjs': SERVER,
    'berth.yaml': [
      'name: modes',
      'services:',
      '  web:',
      '    command: node server.mjs',
      `    env: { PROBE_FILE: ${join(outside, 'probe')} }`,
      '    health: { readiness: { http: { path: / }, period: 1s } }',
    ],
  });
  // The server inherits this process's umask: the common 022.
  const before = process.umask(0o022);
  try {
    berth = await startBerth({ home });
  } finally {
    process.umask(before);
  }
  const set = await berth.cli(['config', 'set', 'DB_PASSWORD=x', '--secret', '--app', 'modes']);
  expect(set.code, set.stderr).toBe(0);
  const deploy = await berth.cli(['deploy', dir]);
  expect(deploy.code, deploy.stderr).toBe(0);
}

async function expectPrivate(home: string): Promise<void> {
  const names = await readdir(home);
  for (const f of ['berth.db', 'berth.db-wal', 'server.log', 'token', 'secret.key', 'gateway', 'run'])
    expect(names, f).toContain(f);
  expect(await notPrivate(home)).toEqual([]);
  // The workload's own file follows umask 022.
  expect((await lstat(join(outside!, 'probe'))).mode & 0o777).toBe(0o644);
  expect(await readFile(join(outside!, 'probe'), 'utf8')).toBe('x');
}

describe('data directory modes', () => {
  it('are owner-only when BERTH_HOME was pre-created 0755 under umask 022', async () => {
    const home = await mkdtemp(join(tmpdir(), 'berth-modes-pre-'));
    await chmod(home, 0o755);
    await startAndDeploy(home);
    await expectPrivate(home);
  });

  it('are owner-only when the server creates BERTH_HOME', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'berth-modes-new-'));
    const home = join(parent, 'home');
    await startAndDeploy(home);
    await expectPrivate(home);
    await berth!.teardown();
    berth = undefined;
    await rm(parent, { recursive: true, force: true });
  });

  it('makes an old readable database owner-only on start', async () => {
    const home = await mkdtemp(join(tmpdir(), 'berth-modes-old-'));
    await mkdir(home, { recursive: true });
    await chmod(home, 0o755);
    await startAndDeploy(home);
    await berth!.kill('SIGKILL');
    await chmod(join(home, 'berth.db'), 0o644);
    await berth!.restart();
    expect((await lstat(join(home, 'berth.db'))).mode & 0o777).toBe(0o600);
    expect((await lstat(home)).mode & 0o777).toBe(0o700);
  });
});
