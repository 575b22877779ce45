import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../testing/apiContext.js';
import { tokenFile } from '../serverInfo.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

describe('users, tokens, roles and bindings over the API', () => {
  let t: TestApi;
  /** A viewer everywhere (reads apps, not users or roles). */
  let viewer: string;
  /** An admin through a binding (not the bootstrap token). */
  let admin: string;
  beforeAll(async () => {
    t = await testApi();
    const { users, roles, tokens } = t.ctx.access;
    await users.create({ name: 'vera', kind: 'user', password: 'vera password 1', createdBy: 'test' });
    await roles.bind({ subjectKind: 'user', subject: 'vera', role: 'viewer', createdBy: 'test' });
    viewer = (await tokens.issue({ name: 't', kind: 'personal', user: 'vera', createdBy: 'test' })).secret;
    await users.create({ name: 'ada', kind: 'user', createdBy: 'test' });
    await roles.bind({ subjectKind: 'user', subject: 'ada', role: 'admin', createdBy: 'test' });
    admin = (await tokens.issue({ name: 't', kind: 'personal', user: 'ada', createdBy: 'test' })).secret;
  });
  afterAll(async () => t.close());

  const as = (token: string | null, method: Method, url: string, body?: unknown) =>
    t.api.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body === undefined ? {} : { payload: body as object }),
    });
  const problem = (r: { json(): unknown }) =>
    (r.json() as { problems: { path: string; message: string }[] }).problems[0];

  it('needs users:read/users:write and roles:read/roles:write on the control plane, 401 without identity', async () => {
    const ops: [Method, string, unknown, string][] = [
      ['GET', '/api/v1/users', undefined, 'users:read'],
      ['GET', '/api/v1/users/ada', undefined, 'users:read'],
      ['POST', '/api/v1/users', { name: 'x1' }, 'users:write'],
      ['PATCH', '/api/v1/users/ada', { disabled: true }, 'users:write'],
      ['DELETE', '/api/v1/users/ada', undefined, 'users:write'],
      ['GET', '/api/v1/roles', undefined, 'roles:read'],
      ['POST', '/api/v1/roles', { name: 'r1', permissions: ['apps:read'] }, 'roles:write'],
      ['DELETE', '/api/v1/roles/r1', undefined, 'roles:write'],
      ['GET', '/api/v1/role-bindings', undefined, 'roles:read'],
      ['POST', '/api/v1/role-bindings', { user: 'vera', role: 'admin' }, 'roles:write'],
      ['DELETE', '/api/v1/role-bindings/1', undefined, 'roles:write'],
      ['POST', '/api/v1/tokens/bootstrap/rotate', undefined, 'users:write'],
      ['GET', '/api/v1/tokens?all=true', undefined, 'users:read'],
      ['GET', '/api/v1/tokens?user=ada', undefined, 'users:read'],
      ['POST', '/api/v1/tokens', { name: 'x', user: 'ada' }, 'users:write'],
    ];
    for (const [method, url, body, permission] of ops) {
      const refused = await as(viewer, method, url, body);
      expect([url, refused.statusCode]).toEqual([url, 403]);
      expect(refused.json()).toMatchObject({ code: 'FORBIDDEN', details: { permission } });
      expect(refused.json().message).toContain(`vera may not do this: it needs ${permission}`);
      expect((await as(null, method, url, body)).statusCode).toBe(401);
    }
    // what they guard is untouched
    expect((await t.ctx.access.users.get('ada')).disabled).toBe(false);
    expect((await t.ctx.access.roles.bindings({ subject: 'vera' })).map((b) => b.role)).toEqual(['viewer']);

    // rotating the bootstrap token needs roles:write too: users:write alone is refused
    await t.ctx.access.roles.createRole({ name: 'user-admin', permissions: ['users:write'], createdBy: 'test' });
    await t.ctx.access.users.create({ name: 'uma', kind: 'user', createdBy: 'test' });
    await t.ctx.access.roles.bind({ subjectKind: 'user', subject: 'uma', role: 'user-admin', createdBy: 'test' });
    const uma = (await t.ctx.access.tokens.issue({ name: 't', kind: 'personal', user: 'uma', createdBy: 'test' }))
      .secret;
    const rotate = await as(uma, 'POST', '/api/v1/tokens/bootstrap/rotate');
    expect(rotate.statusCode).toBe(403);
    expect(rotate.json().details.permission).toBe('roles:write');
  });

  it('creates, shows, changes and deletes users and service accounts, naming the bad field', async () => {
    const made = await as(admin, 'POST', '/api/v1/users', {
      name: 'dev',
      password: 'a long password',
      displayName: 'Dev One',
      groups: ['developers'],
    });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({
      name: 'dev',
      kind: 'user',
      hasPassword: true,
      groups: ['developers'],
      createdBy: 'ada',
    });
    expect(made.body).not.toContain('a long password');
    expect(made.body).not.toContain('scrypt');

    const ci = await as(admin, 'POST', '/api/v1/users', { name: 'ci', kind: 'service' });
    expect(ci.json()).toMatchObject({ name: 'ci', kind: 'service', hasPassword: false });

    const cases: [unknown, string, string][] = [
      [{ name: 'bad name!' }, 'name', 'is not a valid name'],
      [{ name: 'shorty', password: 'short' }, 'password', 'at least 10 characters'],
      [{ name: 'svc2', kind: 'service', password: 'a long password' }, 'password', 'service account has no password'],
      [{ name: 'g', groups: ['no spaces'] }, 'groups', 'not a valid name'],
    ];
    for (const [body, path, message] of cases) {
      const r = await as(admin, 'POST', '/api/v1/users', body);
      expect(r.statusCode).toBe(400);
      expect(problem(r)).toMatchObject({ path });
      expect(problem(r).message).toContain(message);
    }
    expect((await as(admin, 'POST', '/api/v1/users', { name: 'dev' })).statusCode).toBe(409);

    const list = await as(admin, 'GET', '/api/v1/users');
    expect(list.json().map((u: { name: string }) => u.name)).toEqual(['ada', 'ci', 'dev', 'uma', 'vera']);
    expect((await as(admin, 'GET', '/api/v1/users/nobody')).statusCode).toBe(404);

    const changed = await as(admin, 'PATCH', '/api/v1/users/dev', {
      groups: ['developers', 'testers'],
      displayName: null,
    });
    expect(changed.json()).toMatchObject({ groups: ['developers', 'testers'], displayName: null });
    const short = await as(admin, 'PATCH', '/api/v1/users/dev', { password: 'short' });
    expect(problem(short).path).toBe('password');
    const svcPassword = await as(admin, 'PATCH', '/api/v1/users/ci', { password: 'a long password' });
    expect(problem(svcPassword).path).toBe('password');
  });

  it('signs a disabled user out and refuses its tokens until enabled; a deleted one’s tokens are revoked', async () => {
    const { users, tokens, roles, sessions } = t.ctx.access;
    await users.create({ name: 'gone', kind: 'user', password: 'gone password 1', createdBy: 'test' });
    await roles.bind({ subjectKind: 'user', subject: 'gone', role: 'viewer', createdBy: 'test' });
    const token = (await tokens.issue({ name: 't', kind: 'personal', user: 'gone', createdBy: 'test' })).secret;
    const { secret: cookie } = await sessions.create({ user: 'gone', via: 'password' });
    expect((await as(token, 'GET', '/api/v1/me')).statusCode).toBe(200);

    expect((await as(admin, 'PATCH', '/api/v1/users/gone', { disabled: true })).json().disabled).toBe(true);
    expect((await as(token, 'GET', '/api/v1/me')).statusCode).toBe(401);
    expect(await sessions.verify(cookie)).toBeUndefined();
    await as(admin, 'PATCH', '/api/v1/users/gone', { disabled: false });
    expect((await as(token, 'GET', '/api/v1/me')).statusCode).toBe(200);

    expect((await as(admin, 'DELETE', '/api/v1/users/gone')).statusCode).toBe(204);
    expect((await as(token, 'GET', '/api/v1/me')).statusCode).toBe(401);
    expect(await roles.bindings({ subject: 'gone' })).toEqual([]);
    const revoked = await tokens.list({ user: 'gone', includeRevoked: true });
    expect(revoked.every((x) => x.revokedAt !== null)).toBe(true);
    expect((await as(admin, 'DELETE', '/api/v1/users/gone')).statusCode).toBe(404);
  });

  it('lets any caller manage its own tokens: the secret once, scopes no wider than its own, revocation', async () => {
    const made = await as(viewer, 'POST', '/api/v1/tokens', {
      name: 'laptop',
      scopes: ['apps:read'],
      expiresIn: '12h',
      description: 'my laptop',
    });
    expect(made.statusCode).toBe(201);
    const issued = made.json<{
      token: string;
      id: number;
      user: string;
      kind: string;
      scopes: string[];
      expiresAt: string;
    }>();
    expect(issued).toMatchObject({ user: 'vera', kind: 'personal', scopes: ['apps:read'] });
    expect(issued.token).toMatch(/^berth_/);
    expect(Date.parse(issued.expiresAt) - Date.now()).toBeLessThanOrEqual(12 * 3600_000);

    const mine = await as(viewer, 'GET', '/api/v1/tokens');
    expect(mine.statusCode).toBe(200);
    expect(mine.json().map((x: { name: string }) => x.name)).toEqual(['t', 'laptop']);
    expect(mine.body).not.toContain(issued.token);
    expect(mine.body).not.toContain('"token"');

    // the scoped token reads apps but not roles, and cannot mint a wider token
    const me = await as(issued.token, 'GET', '/api/v1/me');
    expect(me.json()).toMatchObject({ name: 'vera', tokenScopes: ['apps:read'] });
    const environments = await as(issued.token, 'GET', '/api/v1/environments');
    expect(environments.statusCode).toBe(403);
    expect(environments.json().message).toContain('environments:read');
    const wider = await as(issued.token, 'POST', '/api/v1/tokens', { name: 'w', scopes: ['environments:read'] });
    expect(problem(wider)).toMatchObject({ path: 'scopes' });
    const inherits = await as(issued.token, 'POST', '/api/v1/tokens', { name: 'narrow' });
    expect(inherits.json().scopes).toEqual(['apps:read']);

    const errors: [unknown, string, string][] = [
      [{ name: 'x', scopes: ['apps:fly'] }, 'scopes', 'unknown permission: apps:fly'],
      [{ name: 'x', expiresIn: 'soon' }, 'expiresIn', 'is not a duration'],
      [{ name: 'x', expiresIn: '400d' }, 'expiresIn', 'at most 366d'],
    ];
    for (const [body, path, message] of errors) {
      const r = await as(viewer, 'POST', '/api/v1/tokens', body);
      expect(r.statusCode).toBe(400);
      expect(problem(r).path).toBe(path);
      expect(problem(r).message).toContain(message);
    }

    // another user's token is not vera's to revoke; her own is
    const adas = await t.ctx.access.tokens.list({ user: 'ada' });
    const other = await as(viewer, 'DELETE', `/api/v1/tokens/${adas[0]!.id}`);
    expect(other.statusCode).toBe(403);
    expect(other.json().details.permission).toBe('users:write');
    const revoked = await as(viewer, 'DELETE', `/api/v1/tokens/${issued.id}`);
    expect(revoked.json().revokedAt).not.toBeNull();
    expect((await as(issued.token, 'GET', '/api/v1/me')).statusCode).toBe(401);
    expect((await as(viewer, 'DELETE', '/api/v1/tokens/99999')).statusCode).toBe(404);
  });

  it('issues a service account’s token for an admin, scoped; lists everyone’s tokens with users:read', async () => {
    const made = await as(admin, 'POST', '/api/v1/tokens', {
      name: 'pipeline',
      user: 'ci',
      scopes: ['apps:deploy', 'apps:read'],
    });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({
      user: 'ci',
      kind: 'service',
      createdBy: 'ada',
      scopes: ['apps:deploy', 'apps:read'],
    });
    const unknown = await as(admin, 'POST', '/api/v1/tokens', { name: 'x', user: 'nobody' });
    expect(problem(unknown)).toMatchObject({ path: 'user' });
    // the bootstrap token names the user a token is for
    const boot = await t.request({ method: 'POST', url: '/api/v1/tokens', body: { name: 'x' } });
    expect(problem(boot)).toMatchObject({ path: 'user' });

    const all = await as(admin, 'GET', '/api/v1/tokens?all=true');
    const kinds = new Set(all.json().map((x: { kind: string }) => x.kind));
    expect(kinds).toEqual(new Set(['bootstrap', 'personal', 'service']));
    expect(all.body).not.toContain(made.json().token);
    const ci = await as(admin, 'GET', '/api/v1/tokens?user=ci');
    expect(ci.json().map((x: { name: string }) => x.name)).toEqual(['pipeline']);
  });

  it('creates and deletes custom roles and binds users and groups, naming the bad field', async () => {
    const role = await as(admin, 'POST', '/api/v1/roles', {
      name: 'release-manager',
      permissions: ['apps:read', 'apps:deploy', 'approvals:approve'],
      description: 'deploys to prod',
    });
    expect(role.statusCode).toBe(201);
    expect(role.json()).toMatchObject({
      builtin: false,
      permissions: ['apps:read', 'apps:deploy', 'approvals:approve'],
    });
    const roles = await as(admin, 'GET', '/api/v1/roles');
    expect(roles.json().map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining(['viewer', 'developer', 'deployer', 'admin', 'release-manager']),
    );
    const unknownPermission = await as(admin, 'POST', '/api/v1/roles', { name: 'r2', permissions: ['apps:fly'] });
    expect(problem(unknownPermission)).toMatchObject({ path: 'permissions' });
    expect(problem(unknownPermission).message).toContain('apps:fly');
    expect(
      problem(await as(admin, 'POST', '/api/v1/roles', { name: 'Bad_Name', permissions: ['apps:read'] })).path,
    ).toBe('name');
    expect((await as(admin, 'POST', '/api/v1/roles', { name: 'viewer', permissions: ['apps:read'] })).statusCode).toBe(
      409,
    );

    const bound = await as(admin, 'POST', '/api/v1/role-bindings', {
      group: 'release-managers',
      role: 'release-manager',
      env: 'prod',
    });
    expect(bound.statusCode).toBe(201);
    expect(bound.json()).toMatchObject({ subjectKind: 'group', subject: 'release-managers', app: '*', env: 'prod' });
    const dev = await as(admin, 'POST', '/api/v1/role-bindings', {
      user: 'dev',
      role: 'developer',
      app: 'shop',
      env: 'test',
    });
    expect(dev.statusCode).toBe(201);

    const errors: [unknown, string][] = [
      [{ user: 'dev', role: 'wizard' }, 'role'],
      [{ role: 'viewer' }, 'user'],
      [{ user: 'dev', group: 'g', role: 'viewer' }, 'group'],
      [{ user: 'dev', role: 'viewer', env: 'Not An Env' }, 'env'],
      [{ user: 'dev', role: 'viewer', app: 'no_such' }, 'app'],
      [{ group: 'bad group', role: 'viewer' }, 'group'],
    ];
    for (const [body, path] of errors) {
      const r = await as(admin, 'POST', '/api/v1/role-bindings', body);
      expect([JSON.stringify(body), r.statusCode]).toEqual([JSON.stringify(body), 400]);
      expect(problem(r).path).toBe(path);
    }

    const forProd = await as(admin, 'GET', '/api/v1/role-bindings?env=prod');
    expect(forProd.json().map((b: { subject: string }) => b.subject)).toEqual(['release-managers']);
    const forDev = await as(admin, 'GET', '/api/v1/role-bindings?subject=dev');
    expect(forDev.json().map((b: { role: string }) => b.role)).toEqual(['developer']);

    // the binding takes effect: dev's grants name it; a bound role cannot be deleted
    const devToken = (await t.ctx.access.tokens.issue({ name: 't', kind: 'personal', user: 'dev', createdBy: 'test' }))
      .secret;
    expect((await as(devToken, 'GET', '/api/v1/me')).json().grants).toEqual([
      expect.objectContaining({ role: 'developer', app: 'shop', env: 'test' }),
    ]);
    expect((await as(admin, 'DELETE', '/api/v1/roles/release-manager')).statusCode).toBe(409);
    expect((await as(admin, 'DELETE', `/api/v1/role-bindings/${bound.json().id}`)).json().id).toBe(bound.json().id);
    expect((await as(admin, 'DELETE', `/api/v1/role-bindings/${bound.json().id}`)).statusCode).toBe(404);
    expect((await as(admin, 'DELETE', '/api/v1/roles/release-manager')).statusCode).toBe(204);
    expect((await as(admin, 'DELETE', '/api/v1/roles/admin')).statusCode).toBe(409);
  });

  it('rotates the bootstrap token: a new one in <home>/token, the old one refused', async () => {
    const old = (await readFile(tokenFile(t.ctx.home), 'utf8')).trim();
    const r = await as(admin, 'POST', '/api/v1/tokens/bootstrap/rotate');
    expect(r.statusCode).toBe(200);
    const { token, kind, name } = r.json<{ token: string; kind: string; name: string }>();
    expect([kind, name]).toEqual(['bootstrap', 'tester']);
    expect((await readFile(tokenFile(t.ctx.home), 'utf8')).trim()).toBe(token);
    expect((await as(old, 'GET', '/api/v1/me')).statusCode).toBe(401);
    expect((await as(token, 'GET', '/api/v1/me')).json()).toMatchObject({ name: 'tester', kind: 'bootstrap' });
    expect((await t.ctx.access.tokens.list({ kind: 'bootstrap' })).length).toBe(1);
  });
});
