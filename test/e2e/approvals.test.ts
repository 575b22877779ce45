/**
 * Approvals (issue 18 point 3), the scenario through the real CLI and a real control plane:
 * a developer deploys the example shop to `test`, is refused on `prod` (403 naming apps:deploy), asks
 * (`--ask`), cannot approve his own request, and the release runs in prod once a release manager
 * approved it — its history names the developer as author and the approver. Then prod needs two
 * approvals: a release manager's deploy waits, the control plane is killed (SIGKILL) while it waits,
 * and after the restart one approval is not enough, a second runs it — exactly once.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyExample, startBerth, waitFor, type Berth } from './harness.js';
import { addUser } from '../support/identities.js';
import { freePort } from '../../src/gateway/testing.js';
import type { ApprovalRequest } from '../../src/model/approvals.js';

let berth: Berth;
let dir: string;
const tokens = new Map<string, string>();

/** `berth ARGS` as `user` (the bootstrap admin when none). */
const as = (user: string | undefined, args: string[]) =>
  berth.cli(args, user ? { env: { BERTH_TOKEN: tokens.get(user)! } } : {});

async function ok(user: string | undefined, args: string[]): Promise<string> {
  const r = await as(user, args);
  expect(r.code, `berth ${args.join(' ')} as ${user ?? 'admin'}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

interface Status {
  services: { readyReplicas: number; desiredReplicas: number; revision?: number }[];
}
interface ReleaseRow {
  revision: number;
  author: string;
  message: string | null;
  status: string;
}

/** The release of `revision` has ended (a status read alone can come before every service exists) and every service is ready. */
async function settled(env: string, revision: number): Promise<void> {
  await waitFor(`the shop at revision ${revision} in ${env}`, async () => {
    const releases = await berth.json<ReleaseRow[]>(['history', 'shop', '--env', env]);
    const release = releases.find((r) => r.revision === revision);
    if (!release || release.status === 'running' || release.status === 'pending') return false;
    const st = await berth.json<Status>(['status', 'shop', '--env', env]);
    return st.services.every((s) => s.readyReplicas === s.desiredReplicas && s.revision === revision);
  });
}

beforeAll(async () => {
  dir = await copyExample('shop');
  berth = await startBerth();
  for (const env of ['test', 'prod']) {
    await ok(undefined, ['env', 'create', env]);
    await ok(undefined, ['env', 'set', env, '--edge-port', String(await freePort())]);
  }
  tokens.set(
    'dev',
    await addUser(berth.home, { name: 'dev', bindings: [{ role: 'viewer' }, { role: 'developer', env: 'test' }] }),
  );
  tokens.set('rm', await addUser(berth.home, { name: 'rm', bindings: [{ role: 'deployer', env: 'prod' }] }));
  tokens.set('ops', await addUser(berth.home, { name: 'ops', bindings: [{ role: 'deployer', env: 'prod' }] }));
}, 60_000);
afterAll(async () => {
  await berth?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('approvals', () => {
  it('a developer refused on prod asks, and the release runs there once someone else approved it', async () => {
    await ok('dev', ['deploy', dir, '--env', 'test']);
    await settled('test', 1);

    const refused = await as('dev', ['deploy', dir, '--env', 'prod']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('dev may not do this: it needs apps:deploy on app shop in environment prod');

    const asked = await ok('dev', ['deploy', dir, '--env', 'prod', '-m', 'shop 1.0', '--ask', 'the release of 1.0']);
    const id = Number(
      /waiting for 1 approval: request #(\d+) \(expires \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/.exec(asked)?.[1],
    );
    expect(id).toBeGreaterThan(0);
    const listed = await as('rm', ['approval', 'list', '--pending']);
    expect(listed.stdout).toMatch(new RegExp(`#${id} +deploy shop to prod +dev +pending +0/1`));

    const own = await as('dev', ['approval', 'approve', String(id)]);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain('dev may not do this: it needs approvals:approve on app shop in environment prod');
    expect((await as('dev', ['history', 'shop', '--env', 'prod'])).stderr).toMatch(/no app shop in environment prod/);

    const approved = await ok('rm', ['approval', 'approve', `#${id}`, '-m', 'looks good']);
    expect(approved).toContain(`request #${id} approved by rm: revision 1 of shop in prod started`);
    await settled('prod', 1);
    const history = await berth.json<ReleaseRow[]>(['history', 'shop', '--env', 'prod']);
    expect(history).toEqual([
      expect.objectContaining({
        revision: 1,
        author: 'dev',
        message: `shop 1.0 [approval #${id}, approved by rm]`,
        status: 'succeeded',
      }),
    ]);
    const shown = await berth.json<ApprovalRequest>(['approval', 'show', String(id)]);
    expect(shown).toMatchObject({
      state: 'done',
      result: { revision: 1 },
      approvals: [{ name: 'rm', comment: 'looks good' }],
    });
  }, 120_000);

  it('with two approvals a deploy waits across a SIGKILL of the control plane and runs once, after the second', async () => {
    await ok(undefined, ['env', 'set', 'prod', '--approvals', '2']);
    const waiting = await ok('rm', ['deploy', dir, '--env', 'prod', '-m', 'second']);
    const id = Number(/waiting for 2 approvals: request #(\d+)/.exec(waiting)?.[1]);
    expect(id).toBeGreaterThan(0);
    const self = await as('rm', ['approval', 'approve', String(id)]);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain(
      `rm asked for approval request #${id}: it needs approvals from people other than its author`,
    );

    await berth.kill('SIGKILL');
    await berth.restart();

    const first = await ok('ops', ['approval', 'approve', String(id)]);
    expect(first).toMatch(new RegExp(`approved; waiting for 1 approval: request #${id} .*approved so far by ops`));
    expect((await berth.json<ReleaseRow[]>(['history', 'shop', '--env', 'prod'])).length).toBe(1);
    const twice = await as('ops', ['approval', 'approve', String(id)]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`ops already approved request #${id}`);

    const second = await ok(undefined, ['approval', 'approve', String(id), '-o', 'json']);
    const done = JSON.parse(second) as ApprovalRequest;
    expect(done).toMatchObject({ state: 'done', result: { revision: 2 }, author: 'rm' });
    await settled('prod', 2);

    // Once more killed and started: nothing runs again.
    await berth.kill('SIGKILL');
    await berth.restart();
    const history = await berth.json<ReleaseRow[]>(['history', 'shop', '--env', 'prod']);
    expect(history.map((r) => [r.revision, r.author])).toEqual([
      [2, 'rm'],
      [1, 'dev'],
    ]);
    expect(history[0]!.message).toMatch(new RegExp(`^second \\[approval #${id}, approved by ops, \\S+\\]$`));
  }, 120_000);

  it('config changes, rollbacks and promotions wait too, and are asked for with --ask', async () => {
    const cfg = await ok(undefined, ['config', 'set', 'GREETING=Hi', '--app', 'shop', '--env', 'prod']);
    const cfgId = Number(/waiting for 2 approvals: request #(\d+)/.exec(cfg)?.[1]);
    expect(cfgId).toBeGreaterThan(0);
    // rm may approve in prod, but not change its config: neither approve nor reject.
    const rmRejects = await as('rm', ['approval', 'reject', String(cfgId), '--reason', 'no']);
    expect(rmRejects.stderr).toContain('rm may not do this: it needs config:write on app shop in environment prod');
    const still = await ok('ops', ['approval', 'show', String(cfgId), '-o', 'yaml']);
    expect(still).toContain('state: pending');

    const rollback = await ok('dev', ['rollback', 'shop', '--env', 'prod', '--to', '1', '--ask', 'back to 1.0']);
    const rbId = Number(/waiting for 2 approvals: request #(\d+)/.exec(rollback)?.[1]);
    const promote = await ok('dev', ['promote', 'shop', '--from', 'test', '--to', 'prod', '--ask', 'test is good']);
    const prId = Number(/waiting for 2 approvals: request #(\d+)/.exec(promote)?.[1]);
    const pending = await berth.json<ApprovalRequest[]>(['approval', 'list', '--pending']);
    expect(pending.map((a) => [a.id, a.action, a.author])).toEqual([
      [prId, 'promote', 'dev'],
      [rbId, 'rollback', 'dev'],
      [cfgId, 'config', expect.any(String)],
    ]);
    expect((await ok('dev', ['approval', 'withdraw', String(rbId)])).trim()).toBe(
      `request #${rbId} was withdrawn by dev`,
    );
    expect(await ok('ops', ['approval', 'reject', String(prId), '-r', 'not today'])).toContain(
      `request #${prId} was rejected by ops: not today`,
    );
    expect((await berth.json<ReleaseRow[]>(['history', 'shop', '--env', 'prod'])).length).toBe(2);
  }, 60_000);
});
