import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { testApi, type TestApi } from '../testing/apiContext.js';
import { createApprovals } from '../../approvals/approvals.js';
import { ApprovalStore } from '../../approvals/approvalStore.js';
import { approvalExecutor } from '../approvalWiring.js';
import { loadSecretBox } from '../../config/secretBox.js';
import type { ApprovalRequest } from '../../model/approvals.js';
import { join } from 'node:path';
import { openStore } from '../../store/store.js';

type Method = 'GET' | 'POST' | 'PATCH';

describe('approval requests: the state machine through the API', () => {
  let t: TestApi;
  const tokens = new Map<string, string>();

  async function user(name: string, bindings: { role: string; env?: string }[]): Promise<void> {
    await t.ctx.access.users.create({ name, kind: 'user', createdBy: 'test' });
    for (const b of bindings)
      await t.ctx.access.roles.bind({
        subjectKind: 'user',
        subject: name,
        role: b.role,
        ...(b.env ? { env: b.env } : {}),
        createdBy: 'test',
      });
    const { secret } = await t.ctx.access.tokens.issue({ name: 't', kind: 'personal', user: name, createdBy: 'test' });
    tokens.set(name, secret);
  }

  const as = (name: string, method: Method, url: string, body?: unknown) =>
    t.request({ method, url, headers: { authorization: `Bearer ${tokens.get(name)!}` }, body });

  beforeAll(async () => {
    t = await testApi();
    for (const [name, approvals] of [
      ['prod', 1],
      ['vault', 2],
      ['test', 0],
    ] as const) {
      const r = await t.request({ method: 'POST', url: '/api/v1/environments', body: { name } });
      expect(r.statusCode).toBe(201);
      if (approvals)
        expect(
          (await t.request({ method: 'PATCH', url: `/api/v1/environments/${name}`, body: { approvals } })).statusCode,
        ).toBe(200);
    }
    await user('dev', [{ role: 'viewer' }, { role: 'developer', env: 'prod' }, { role: 'developer', env: 'vault' }]);
    await user('rm', [{ role: 'viewer' }, { role: 'deployer', env: 'prod' }]);
    await user('lead', [{ role: 'viewer' }, { role: 'admin', env: 'prod' }, { role: 'admin', env: 'vault' }]);
    await user('ops', [{ role: 'viewer' }, { role: 'admin', env: 'vault' }]);
    await user('guest', [{ role: 'viewer' }]);
  });
  afterAll(async () => t.close());

  const change = (base: number, value: string) => ({
    baseVersion: base,
    set: { GREETING: value, TOKEN: { value: 'hunter2-secret', secret: true } },
    message: 'new greeting',
  });

  it('a config change into an environment with approvals waits, and runs as its author once someone else with the permission approved', async () => {
    const asked = await as('dev', 'PATCH', '/api/v1/apps/shop/envs/prod/config', change(0, 'hello'));
    expect(asked.statusCode).toBe(202);
    const a = asked.json<ApprovalRequest>();
    expect(a).toMatchObject({ kind: 'approval', action: 'config', app: 'shop', env: 'prod', author: 'dev' });
    expect(a).toMatchObject({ state: 'pending', required: 1, approvals: [] });
    expect(JSON.stringify(a)).not.toContain('hunter2');
    expect(Date.parse(a.expiresAt) - Date.parse(a.createdAt)).toBe(24 * 3600_000);
    expect((await t.ctx.configSets.current('shop', 'prod')).version).toBe(0);

    const self = await as('dev', 'POST', `/api/v1/approvals/${a.id}/approve`, {});
    expect(self.statusCode).toBe(403);
    expect(self.json().message).toBe('dev may not do this: it needs approvals:approve on app shop in environment prod');

    // rm may approve in prod (deployer) but not change config there.
    const rm = await as('rm', 'POST', `/api/v1/approvals/${a.id}/approve`, {});
    expect(rm.statusCode).toBe(403);
    expect(rm.json().message).toContain('config:write on app shop in environment prod');
    // guest holds no approvals:approve in prod.
    const guest = await as('guest', 'POST', `/api/v1/approvals/${a.id}/approve`, {});
    expect(guest.statusCode).toBe(403);
    expect(guest.json().message).toContain('approvals:approve on app shop in environment prod');

    const ok = await as('lead', 'POST', `/api/v1/approvals/${a.id}/approve`, { comment: 'fine' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      state: 'done',
      result: { configVersion: 1 },
      approvals: [{ name: 'lead', comment: 'fine' }],
    });
    const v = await t.ctx.configSets.current('shop', 'prod');
    expect(v).toMatchObject({ version: 1, author: 'dev' });
    expect(v.message).toBe(`new greeting [approval #${a.id}, approved by lead]`);

    const again = await as('lead', 'POST', `/api/v1/approvals/${a.id}/approve`, {});
    expect(again.statusCode).toBe(409);
  });

  it('one approval per person; N others are needed; a rejection and a withdrawal end a request', async () => {
    const a = (await as('dev', 'PATCH', '/api/v1/apps/shop/envs/vault/config', change(0, 'v'))).json<ApprovalRequest>();
    expect(a.required).toBe(2);
    expect((await as('lead', 'POST', `/api/v1/approvals/${a.id}/approve`, {})).json()).toMatchObject({
      state: 'pending',
    });
    const twice = await as('lead', 'POST', `/api/v1/approvals/${a.id}/approve`, {});
    expect(twice.statusCode).toBe(409);
    expect(twice.json().message).toBe(`lead already approved request #${a.id}`);
    // Its author may not approve what he asked for, whatever he may do.
    const own = (
      await as('lead', 'PATCH', '/api/v1/apps/cart/envs/vault/config', change(0, 'z'))
    ).json<ApprovalRequest>();
    const self = await as('lead', 'POST', `/api/v1/approvals/${own.id}/approve`, {});
    expect(self.statusCode).toBe(403);
    expect(self.json().message).toBe(
      `lead asked for approval request #${own.id}: it needs approvals from people other than its author`,
    );
    expect((await as('lead', 'POST', `/api/v1/approvals/${own.id}/withdraw`)).statusCode).toBe(200);
    const rejected = await as('ops', 'POST', `/api/v1/approvals/${a.id}/reject`, { reason: 'not on a Friday' });
    expect(rejected.json()).toMatchObject({ state: 'rejected', endedBy: 'ops', endReason: 'not on a Friday' });
    expect((await as('ops', 'POST', `/api/v1/approvals/${a.id}/approve`, {})).statusCode).toBe(409);
    expect((await t.ctx.configSets.current('shop', 'vault')).version).toBe(0);

    const b = (await as('dev', 'PATCH', '/api/v1/apps/shop/envs/vault/config', change(0, 'w'))).json<ApprovalRequest>();
    const notHis = await as('lead', 'POST', `/api/v1/approvals/${b.id}/withdraw`);
    expect(notHis.statusCode).toBe(403);
    expect((await as('dev', 'POST', `/api/v1/approvals/${b.id}/withdraw`)).json()).toMatchObject({
      state: 'withdrawn',
    });
    const pending = (await as('guest', 'GET', '/api/v1/approvals?env=vault')).json<ApprovalRequest[]>();
    expect(pending.map((x) => [x.id, x.state])).toEqual([
      [b.id, 'withdrawn'],
      [own.id, 'withdrawn'],
      [a.id, 'rejected'],
    ]);
  });

  it('two approvals arriving together both count, and the change is written once', async () => {
    const a = (
      await as('dev', 'PATCH', '/api/v1/apps/cart/envs/vault/config', change(0, 'together'))
    ).json<ApprovalRequest>();
    const [x, y] = await Promise.all([
      as('lead', 'POST', `/api/v1/approvals/${a.id}/approve`, {}),
      as('ops', 'POST', `/api/v1/approvals/${a.id}/approve`, {}),
    ]);
    expect([x.statusCode, y.statusCode]).toEqual([200, 200]);
    const done = (await as('guest', 'GET', `/api/v1/approvals/${a.id}`)).json<ApprovalRequest>();
    expect(done).toMatchObject({ state: 'done', result: { configVersion: 1 } });
    expect(done.approvals.map((v) => v.name).sort()).toEqual(['lead', 'ops']);
    expect((await t.ctx.configSets.history('cart', 'vault')).map((h) => h.version)).toEqual([1]);
  });

  it('whoever may not do an operation may ask for it, checked as the operation: needs at least one approval; expires', async () => {
    const bad = await as('guest', 'POST', '/api/v1/approvals', {
      action: 'config',
      app: 'shop',
      env: 'test',
      request: { set: { A: 'b' } },
      reason: 'please',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().problems).toEqual([expect.objectContaining({ path: 'request.baseVersion' })]);
    const direct = await as('guest', 'PATCH', '/api/v1/apps/shop/envs/test/config', change(0, 'x'));
    expect(direct.statusCode).toBe(403);
    expect(direct.json().message).toContain('config:write on app shop in environment test');

    const asked = await as('guest', 'POST', '/api/v1/approvals', {
      action: 'config',
      app: 'shop',
      env: 'test',
      request: change(0, 'x'),
      reason: 'please',
      expiresIn: '1s',
    });
    expect(asked.statusCode).toBe(201);
    const a = asked.json<ApprovalRequest>();
    expect(a).toMatchObject({ required: 1, state: 'pending', reason: 'please', author: 'guest' });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await as('guest', 'GET', `/api/v1/approvals/${a.id}`)).json()).toMatchObject({ state: 'expired' });
    const late = await t.request({ method: 'POST', url: `/api/v1/approvals/${a.id}/approve`, body: {} });
    expect(late.statusCode).toBe(409);
    expect(late.json().message).toContain('is expired');
  });

  it('an approved request left by a stopped control plane runs when the next one starts, exactly once', async () => {
    // A second handle on the control plane's SQLite file: what the next control plane opens.
    const file = await openStore({ file: join(t.ctx.home, 'berth.db') });
    const box = await loadSecretBox(t.ctx.home);
    const store = new ApprovalStore(file.db, box);
    const mk = async () =>
      store.create({
        action: 'config',
        app: 'cart',
        env: 'prod',
        request: { baseVersion: 0, set: { K: 'v' } },
        shown: {},
        author: 'dev',
        reason: 'r',
        required: 1,
        expires: new Date(Date.now() + 60_000),
      });
    const approved = await mk();
    await store.update(approved.id, 'pending', { state: 'approved', votes: [{ name: 'lead', at: '', comment: null }] });
    const again = createApprovals({
      db: file.db,
      box,
      executor: approvalExecutor(t.ctx),
      logger: pino({ level: 'silent' }),
    });
    await again.start();
    expect(await again.get(approved.id)).toMatchObject({ state: 'done', result: { configVersion: 1 } });
    // Killed while running after it wrote the version: found by its marker, not written again.
    await store.update(approved.id, 'done', { state: 'running' });
    await again.start();
    expect(await again.get(approved.id)).toMatchObject({ state: 'done', result: { configVersion: 1 } });
    expect((await t.ctx.configSets.history('cart', 'prod')).map((h) => h.version)).toEqual([1]);
    await again.close();
    await file.close();
  });
});
