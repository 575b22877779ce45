/**
 * The audit log through the API (fastify inject on a real store): changes recorded with the verified
 * caller (a body's `author` is not the actor), refusals (401, 403, 400, 409) and sign-ins recorded, reads
 * not; masking — a secret value, a password and a token never reach the table's bytes; a failing append
 * answers 500; reading the log needs audit:read.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../testing/apiContext.js';
import type { AuditEntry, AuditPage } from '../../model/audit.js';

const SECRET_VALUE = 'sekr1t-value-4711';
const PASSWORD = 'correct horse battery 99';

describe('the audit log through the API', () => {
  let t: TestApi;
  let viewerToken: string;
  beforeAll(async () => {
    t = await testApi();
    await t.ctx.access.users.create({ name: 'vic', kind: 'user', password: PASSWORD, createdBy: 'test' });
    await t.ctx.access.roles.bind({ subjectKind: 'user', subject: 'vic', role: 'viewer', createdBy: 'test' });
    viewerToken = (
      await t.ctx.access.tokens.issue({ name: 'vic-cli', kind: 'personal', user: 'vic', createdBy: 'test' })
    ).secret;
  });
  afterAll(async () => t.close());

  const entries = async (query = ''): Promise<AuditEntry[]> =>
    (await t.request({ method: 'GET', url: `/api/v1/audit?limit=1000${query}` })).json<AuditPage>().entries;
  const last = async (): Promise<AuditEntry> => (await entries())[0]!;

  it('records a change with the verified caller, its target, outcome and address — not a name the body gives', async () => {
    const r = await t.request({
      method: 'POST',
      url: '/api/v1/environments',
      body: { name: 'qa', author: 'mallory@evil' },
    });
    // An unknown field is refused or ignored by the route; either way the actor is the token's owner.
    const e = await last();
    expect(e.actor).toMatchObject({ name: 'tester', kind: 'user' });
    expect(e.actor.credential).toMatch(/^token:\d+$/);
    expect(e.operation).toEqual({ id: 'createEnvironment', method: 'POST', route: '/api/v1/environments' });
    expect(e.target).toMatchObject({ env: 'qa' });
    expect(e.address).toBe('127.0.0.1');
    expect(e.outcome.status).toBe(r.statusCode);
    expect(JSON.stringify(e)).not.toContain('"name":"mallory@evil"');
  });

  it('masks secret config values (set now, or already secret) and keeps plain ones', async () => {
    const base = '/api/v1/apps/shop/envs/qa/config';
    const first = await t.request({
      method: 'PATCH',
      url: base,
      body: { baseVersion: 0, set: { GREETING: 'hi', DB_URL: { value: SECRET_VALUE, secret: true } } },
    });
    expect(first.statusCode).toBe(201);
    expect((await last()).summary).toEqual({
      baseVersion: 0,
      set: { GREETING: { value: 'hi' }, DB_URL: { value: '******', secret: true } },
    });
    // Secret omitted: the key stays secret, and its new value is masked too.
    await t.request({ method: 'PATCH', url: base, body: { baseVersion: 1, set: { DB_URL: `${SECRET_VALUE}-2` } } });
    expect((await last()).summary).toEqual({ baseVersion: 1, set: { DB_URL: { value: '******' } } });
    expect((await last()).target).toEqual({ app: 'shop', env: 'qa' });
    // A stale write is refused (409) and recorded, masked all the same.
    const stale = await t.request({
      method: 'PATCH',
      url: base,
      body: { baseVersion: 0, set: { DB_URL: 'x-stale-secret' } },
    });
    expect(stale.statusCode).toBe(409);
    const e = await last();
    expect(e.outcome).toMatchObject({ kind: 'refused', status: 409 });
    expect(JSON.stringify(e)).not.toContain('x-stale-secret');
  });

  it('records refusals: 401 without identity, 403 naming the permission, 400 on a bad body', async () => {
    const anon = await t.api.inject({ method: 'DELETE', url: '/api/v1/environments/qa' });
    expect(anon.statusCode).toBe(401);
    expect(await last()).toMatchObject({
      actor: { name: 'anonymous', kind: 'anonymous' },
      operation: { id: 'deleteEnvironment' },
      target: { env: 'qa' },
      outcome: { kind: 'refused', status: 401 },
    });
    const forbidden = await t.request({
      method: 'DELETE',
      url: '/api/v1/environments/qa',
      headers: { authorization: `Bearer ${viewerToken}` },
    });
    expect(forbidden.statusCode).toBe(403);
    const e = await last();
    expect(e).toMatchObject({ actor: { name: 'vic' }, outcome: { kind: 'refused', status: 403 } });
    expect(e.outcome.message).toContain('environments:write');
    const nowhere = await t.request({ method: 'POST', url: '/api/v1/nowhere?x=1', body: {} });
    expect(nowhere.statusCode).toBe(404);
    expect(await last()).toMatchObject({
      operation: { id: 'unknownRoute', method: 'POST', route: '/api/v1/nowhere' },
      outcome: { kind: 'refused', status: 404, code: 'NOT_FOUND' },
    });
    const bad = await t.request({ method: 'POST', url: '/api/v1/environments', body: { name: 7 } });
    expect(bad.statusCode).toBe(400);
    expect(await last()).toMatchObject({ outcome: { kind: 'refused', status: 400 } });
  });

  it('records sign-ins, failed and successful, never the password; reads are not recorded', async () => {
    const before = (await entries()).length;
    await t.request({ method: 'GET', url: '/api/v1/environments' });
    expect((await entries()).length).toBe(before);
    const wrong = await t.api.inject({
      method: 'POST',
      url: '/api/v1/login',
      payload: { user: 'vic', password: 'nope-wrong' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(await last()).toMatchObject({
      actor: { name: 'anonymous' },
      operation: { id: 'logIn' },
      target: { object: { user: 'vic' } },
      outcome: { kind: 'refused', status: 401 },
      summary: { user: 'vic' },
    });
    const ok = await t.api.inject({
      method: 'POST',
      url: '/api/v1/login',
      payload: { user: 'vic', password: PASSWORD },
    });
    expect(ok.statusCode).toBe(201);
    const issued = ok.json<{ token: string; id: number }>();
    expect(await last()).toMatchObject({ actor: { name: 'vic', kind: 'user', credential: `token:${issued.id}` } });
    // The token just issued is used for a change: neither it nor the password reaches the database file.
    await t.request({
      method: 'POST',
      url: '/api/v1/environments',
      body: { name: 'qa2' },
      headers: { authorization: `Bearer ${issued.token}` },
    });
    const file = t.ctx.audit.headFile.replace(/audit\.head$/, 'berth.db');
    const bytes = Buffer.concat([await readFile(file), await readFile(`${file}-wal`).catch(() => Buffer.alloc(0))]);
    const rows = JSON.stringify(await entries());
    for (const secret of [SECRET_VALUE, PASSWORD, 'nope-wrong', issued.token]) {
      expect(bytes.includes(secret)).toBe(false);
      expect(rows).not.toContain(secret);
    }
  });

  it('records a webhook delivery as webhook:<provider>, its body as event, size and digest', async () => {
    const r = await t.api.inject({
      method: 'POST',
      url: '/api/v1/hooks/github/shop',
      headers: { 'x-github-event': 'push', 'x-github-delivery': 'd-1', 'content-type': 'application/json' },
      payload: '{"ref":"refs/heads/main"}',
    });
    expect(await last()).toMatchObject({
      actor: { name: 'webhook:github', kind: 'webhook' },
      operation: { id: 'receiveWebhook' },
      target: { app: 'shop', object: { provider: 'github' } },
      outcome: { status: r.statusCode },
      summary: { event: 'push', delivery: 'd-1', size: 25 },
    });
  });

  it('needs audit:read to read or verify the log', async () => {
    for (const url of ['/api/v1/audit', '/api/v1/audit/verify']) {
      const r = await t.request({ method: 'GET', url, headers: { authorization: `Bearer ${viewerToken}` } });
      expect(r.statusCode).toBe(403);
      expect(r.json<{ message: string }>().message).toContain('audit:read');
    }
    const v = await t.request({ method: 'GET', url: '/api/v1/audit/verify' });
    expect(v.json()).toMatchObject({ ok: true });
  });

  it('exports every entry as JSON lines, oldest first', async () => {
    const r = await t.request({ method: 'GET', url: '/api/v1/audit?format=jsonl' });
    expect(r.headers['content-type']).toContain('application/x-ndjson');
    const lines = r.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(lines.map((e) => e.seq)).toEqual(lines.map((_, i) => i + 1));
  });

  it('records a call that changes nothing (a render) beside its answer, which the append does not hold', async () => {
    const spec = { file: '/apps/shop/berth.yaml', text: 'name: shop\nservices:\n  web:\n    image: shop/web:1\n' };
    const r = await t.request({ method: 'POST', url: '/api/v1/render', body: { env: 'local', spec } });
    expect(r.statusCode).toBe(200);
    await t.ctx.audit.settled();
    expect((await last()).operation).toEqual({ id: 'render', method: 'POST', route: '/api/v1/render' });
    // The append failing for real: the render is still answered (it acknowledges no change), a change is not.
    await rm(t.ctx.audit.headFile, { force: true });
    await mkdir(join(t.ctx.audit.headFile, 'blocker'), { recursive: true });
    const again = await t.request({ method: 'POST', url: '/api/v1/render', body: { env: 'local', spec } });
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(r.body);
    const change = await t.request({ method: 'POST', url: '/api/v1/environments', body: { name: 'qa4' } });
    expect(change.statusCode).toBe(500);
    await t.ctx.audit.settled();
    await rm(t.ctx.audit.headFile, { recursive: true, force: true });
  });

  it('answers 500 when the append fails: a change is never acknowledged unrecorded', async () => {
    // The head file's place taken by a directory that is not empty: the append fails for real.
    await rm(t.ctx.audit.headFile, { force: true });
    await mkdir(join(t.ctx.audit.headFile, 'blocker'), { recursive: true });
    const r = await t.request({ method: 'POST', url: '/api/v1/environments', body: { name: 'qa3' } });
    expect(r.statusCode).toBe(500);
    expect(r.json<{ message: string }>().message).toContain('audit log');
    await rm(t.ctx.audit.headFile, { recursive: true, force: true });
  });
});
