/**
 * `berth promote` through the real CLI and a real control plane (issue 17 point 4): the shop deployed
 * to `test` from a folder, the folder's inventory code edited, then promoted to `staging`: staging
 * answers with test's (old) code and staging's own config, the difference printed before shows a
 * secret as differing without its value, and the revision says where it came from. A protected
 * `staging` refuses a promotion, a deploy and a rollback without `--yes` and proceeds with it.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { CLI, copyExample, startBerth, waitFor, type Berth } from './harness.js';
import { freePort } from '../../src/gateway/testing.js';

let berth: Berth;
let dir: string;
const edges = new Map<string, number>();

async function ok(args: string[]): Promise<string> {
  const r = await berth.cli(args);
  expect(r.code, `berth ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

interface Status {
  services: { service: string; readyReplicas: number; desiredReplicas: number; revision?: number }[];
}

async function settled(env: string, revision: number): Promise<void> {
  await waitFor(`the shop at revision ${revision} in ${env}`, async () => {
    const st = await berth.json<Status>(['status', 'shop', '--env', env]);
    return st.services.every((s) => s.readyReplicas === s.desiredReplicas && s.revision === revision);
  });
}

/** What the shop in `env` answers at `path` through its edge (the `replica` field left out). */
async function get(env: string, path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${edges.get(env)}${path}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  delete body.replica;
  return body;
}

/** Runs `berth ARGS` on a terminal (util-linux `script`) and answers `answer` to its question. */
function onTerminal(args: string[], answer: string): Promise<{ code: number | null; out: string }> {
  const line = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', line, '/dev/null'], {
    env: { ...process.env, BERTH_HOME: berth.home, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let asked = false;
  const take = (d: Buffer): void => {
    out += d.toString();
    if (!asked && out.includes('[y/N]')) {
      asked = true;
      child.stdin.write(`${answer}\n`);
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

beforeAll(async () => {
  dir = await copyExample('shop');
  berth = await startBerth();
  for (const env of ['test', 'staging']) {
    await ok(['env', 'create', env]);
    edges.set(env, await freePort());
    await ok(['env', 'set', env, '--edge-port', String(edges.get(env))]);
    await ok(['config', 'set', `GREETING=Hello from ${env}`, '--app', 'shop', '--env', env]);
    await ok(['config', 'set', `SESSION_SECRET=s3cret-of-${env}`, '--secret', '--app', 'shop', '--env', env]);
  }
}, 60_000);
afterAll(async () => {
  await berth?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('berth promote', () => {
  it("runs test's code in staging, not the edited folder, with staging's config", async () => {
    await ok(['deploy', dir, '--env', 'test']);
    await settled('test', 1);
    const server = join(dir, 'inventory', 'server.js');
    const code = await readFile(server, 'utf8');
    await writeFile(server, code.replace('low, replica:', "low, version: 'edited', replica:"));

    // Without a terminal and without --yes: the difference is shown, nothing is promoted.
    const asked = await berth.cli(['promote', 'shop', '--from', 'test', '--to', 'staging']);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toMatch(/not confirmed: stdin is not a terminal.*--yes/s);
    expect((await berth.cli(['history', 'shop', '--env', 'staging'])).stderr).toMatch(
      /no app shop in environment staging/,
    );

    // On a terminal it asks; "n" promotes nothing.
    const no = await onTerminal(['promote', 'shop', '--from', 'test', '--to', 'staging'], 'n');
    expect(no.out).toContain('promote shop test@1 to staging? [y/N]');
    expect(no.out).toContain('not confirmed: answered no');
    expect(no.code).toBe(1);
    expect((await berth.cli(['history', 'shop', '--env', 'staging'])).code).toBe(1);

    const r = await berth.cli(['promote', 'shop', '--from', 'test', '--to', 'staging', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('promote shop from test@1 to staging (nothing runs there yet)');
    expect(r.stdout).toContain('~ GREETING: "Hello from test" → "Hello from staging"');
    expect(r.stdout).toContain('~ SESSION_SECRET (secret, differs)');
    expect(r.stdout + r.stderr).not.toMatch(/s3cret-of/);
    expect(r.stdout).toMatch(/plan for shop in staging[\s\S]*inventory/);
    await settled('staging', 1);

    // test's snapshot, not the folder (which now says 'edited'); staging's greeting.
    expect(await get('staging', '/api/inventory')).not.toHaveProperty('version');
    expect(await get('staging', '/api/greeting')).toEqual({ greeting: 'Hello from staging' });
    type Shown = {
      release: { kind: string; options: { promotedFrom?: object } };
      rendered: { codes?: Record<string, string> };
    };
    const [fromTest, inStaging] = await Promise.all([
      berth.json<Shown>(['releases', 'show', 'shop', '1', '--env', 'test']),
      berth.json<Shown>(['releases', 'show', 'shop', '1', '--env', 'staging']),
    ]);
    expect(inStaging.rendered.codes).toEqual(fromTest.rendered.codes);
    expect(inStaging.release.kind).toBe('promotion');
    expect(inStaging.release.options.promotedFrom).toEqual({ env: 'test', revision: 1 });
    const list = await ok(['history', 'shop', '--env', 'staging']);
    expect(list).toMatch(/1 +promotion from test@1 +succeeded.*promoted from test@1/);
    const shown = await ok(['releases', 'show', 'shop', '1', '--env', 'staging']);
    expect(shown).toContain('revision 1 promotion from test@1 succeeded');
  }, 90_000);

  it('refuses what cannot be promoted, with the reason', async () => {
    const self = await berth.cli(['promote', 'shop', '--from', 'test', '--to', 'test', '--yes']);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('cannot promote shop from test to itself');
    const ghost = await berth.cli(['promote', 'ghost', '--from', 'test', '--to', 'staging', '--yes']);
    expect(ghost.stderr).toContain('app ghost is unknown');
    const half = await berth.cli(['promote', 'shop', '--to', 'staging']);
    expect(half.stderr).toContain('a promotion needs --from and --to');
  });

  it('a protected staging refuses a promotion, a deploy and a rollback without --yes and proceeds with it', async () => {
    expect(await ok(['env', 'set', 'staging', '--protected'])).toMatch(/protected \(deploys, promotions and rollbacks/);
    expect(await ok(['env', 'get', 'staging'])).toMatch(/protected: +yes/);
    expect(await ok(['env', 'list'])).toMatch(/staging .* yes/);
    await ok(['deploy', dir, '--env', 'test']);
    await settled('test', 2);

    const promote = await berth.cli(['promote', 'shop', '--from', 'test', '--to', 'staging']);
    expect(promote.code).toBe(1);
    expect(promote.stdout).toContain('staging is protected: the promotion needs your confirmation');
    const deploy = await berth.cli(['deploy', dir, '--env', 'staging']);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(
      'environment staging is protected: a deploy of shop into it needs an explicit confirmation',
    );
    const rollback = await berth.cli(['rollback', 'shop', '--env', 'staging', '--to', '1']);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toContain('environment staging is protected: a rollback of shop');
    expect((await berth.json<{ revision: number }[]>(['history', 'shop', '--env', 'staging'])).length).toBe(1);

    await ok(['promote', 'shop', '--from', 'test', '--to', 'staging', '--yes', '-m', 'ship the edit']);
    await settled('staging', 2);
    expect(await get('staging', '/api/inventory')).toMatchObject({ version: 'edited' });
    await ok(['rollback', 'shop', '--env', 'staging', '--to', '1', '--yes']);
    await settled('staging', 3);
    expect(await get('staging', '/api/inventory')).not.toHaveProperty('version');
    // On a terminal, a refused deploy asks, and "y" sends it again confirmed.
    const yes = await onTerminal(['deploy', dir, '--env', 'staging'], 'y');
    expect(yes.out).toMatch(/environment staging is protected: a deploy of shop[^\n]*\n\s*go ahead\? \[y\/N\]/);
    expect(yes.code, yes.out).toBe(0);
    expect(
      (await berth.json<{ revision: number; kind: string }[]>(['history', 'shop', '--env', 'staging']))[0],
    ).toMatchObject({
      revision: 4,
      kind: 'deploy',
    });
    await ok(['env', 'set', 'staging', '--protected=false']);
    expect(await ok(['env', 'get', 'staging'])).toMatch(/protected: +no/);
  }, 90_000);
});
