import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.js';
import { createAccess, type Access } from './access.js';
import type { Principal } from '../model/access.js';

describe('the authorizer', () => {
  let home: string;
  let store: Store;
  let access: Access;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'berth-authz-'));
    store = await openStore({ file: join(home, 'berth.db') });
    access = createAccess(store.db);
  });
  afterEach(async () => {
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  const tokenOf = async (
    user: string,
    scopes?: Parameters<Access['tokens']['issue']>[0]['scopes'],
  ): Promise<Principal> => {
    const { secret } = await access.tokens.issue({
      name: 'cli',
      kind: 'personal',
      user,
      createdBy: user,
      ...(scopes ? { scopes } : {}),
    });
    const p = await access.authorizer.fromToken(secret);
    if (!p) throw new Error('token did not verify');
    return p;
  };

  it('denies by default and grants a role only where it is bound', async () => {
    await access.users.create({ name: 'dev', kind: 'user', password: 'a long password', createdBy: 'admin' });
    const dev = await tokenOf('dev');
    expect(await access.authorizer.can(dev, 'apps:read', { app: 'shop', env: 'test' })).toBe(false);

    await access.roles.bind({
      subjectKind: 'user',
      subject: 'dev',
      role: 'developer',
      env: 'test',
      createdBy: 'admin',
    });
    await access.roles.bind({ subjectKind: 'user', subject: 'dev', role: 'viewer', createdBy: 'admin' });
    expect(await access.authorizer.can(dev, 'apps:deploy', { app: 'shop', env: 'test' })).toBe(true);
    expect(await access.authorizer.can(dev, 'apps:deploy', { app: 'shop', env: 'prod' })).toBe(false);
    expect(await access.authorizer.can(dev, 'apps:read', { app: 'shop', env: 'prod' })).toBe(true);
    expect(await access.authorizer.can(dev, 'secrets:reveal', { app: 'shop', env: 'test' })).toBe(false);
    // bound to one environment: nothing about the control plane as a whole
    expect(await access.authorizer.can(dev, 'users:write', {})).toBe(false);
    await expect(access.authorizer.require(dev, 'apps:deploy', { app: 'shop', env: 'prod' })).rejects.toThrow(
      'dev may not do this: it needs apps:deploy on app shop in environment prod',
    );
  });

  it("grants through groups, narrows by a token's scopes, and forgets disabled users", async () => {
    await access.users.create({ name: 'rm', kind: 'user', groups: ['release-managers'], createdBy: 'admin' });
    await access.roles.createRole({ name: 'releaser', permissions: ['apps:deploy', 'apps:read'], createdBy: 'admin' });
    await access.roles.bind({
      subjectKind: 'group',
      subject: 'release-managers',
      role: 'releaser',
      env: 'prod',
      app: 'shop',
      createdBy: 'admin',
    });
    const full = await tokenOf('rm');
    expect(await access.authorizer.can(full, 'apps:deploy', { app: 'shop', env: 'prod' })).toBe(true);
    expect(await access.authorizer.can(full, 'apps:deploy', { app: 'bank', env: 'prod' })).toBe(false);
    // bound to one app: nothing about the environment as a whole, but a list lets it in
    expect(await access.authorizer.can(full, 'apps:read', { env: 'prod' })).toBe(false);
    expect(await access.authorizer.can(full, 'apps:read', {}, 'anywhere')).toBe(true);

    const readOnly = await tokenOf('rm', ['apps:read']);
    expect(readOnly.tokenScopes).toEqual(['apps:read']);
    expect(await access.authorizer.can(readOnly, 'apps:deploy', { app: 'shop', env: 'prod' })).toBe(false);
    expect(await access.authorizer.can(readOnly, 'apps:read', { app: 'shop', env: 'prod' })).toBe(true);

    const { secret } = await access.tokens.issue({ name: 'ci', kind: 'personal', user: 'rm', createdBy: 'rm' });
    await access.users.setDisabled('rm', true);
    expect(await access.authorizer.fromToken(secret)).toBeUndefined();
  });

  it('refuses revoked and expired tokens', async () => {
    await access.users.create({ name: 'ci', kind: 'service', createdBy: 'admin' });
    const live = await access.tokens.issue({ name: 'a', kind: 'service', user: 'ci', createdBy: 'admin' });
    const expired = await access.tokens.issue({
      name: 'b',
      kind: 'service',
      user: 'ci',
      createdBy: 'admin',
      expiresAt: new Date(Date.now() - 1000),
    });
    expect(await access.authorizer.fromToken(live.secret)).toMatchObject({ name: 'ci', kind: 'service' });
    expect(await access.authorizer.fromToken(expired.secret)).toBeUndefined();
    await access.tokens.revoke(live.token.id);
    expect(await access.authorizer.fromToken(live.secret)).toBeUndefined();
    expect(JSON.stringify(await access.tokens.list({ includeRevoked: true }))).not.toContain(live.secret);
  });

  it("keeps a session's groups from sign-in and ends it", async () => {
    await access.users.create({ name: 'sso-user', kind: 'user', source: 'sso', createdBy: 'sso' });
    await access.roles.bind({ subjectKind: 'group', subject: 'ops', role: 'admin', createdBy: 'admin' });
    const { secret, session } = await access.sessions.create({ user: 'sso-user', groups: ['ops'], via: 'sso' });
    const found = await access.authorizer.fromSession(secret);
    expect(found?.principal).toMatchObject({ name: 'sso-user', groups: ['ops'], via: 'session' });
    expect(found?.session.csrf).toBe(session.csrf);
    expect(await access.authorizer.can(found!.principal, 'users:write', {})).toBe(true);
    await access.sessions.end(secret);
    expect(await access.authorizer.fromSession(secret)).toBeUndefined();
  });
});

describe('matching a list entry', () => {
  it('shows an environment to a caller bound to one app in it, and nothing of other environments', async () => {
    const { allows } = await import('../model/access.js');
    const grants = [{ role: 'viewer', permissions: ['environments:read' as const], app: 'shop', env: 'test' }];
    expect(allows(grants, 'environments:read', { env: 'test' }, 'within')).toBe(true);
    expect(allows(grants, 'environments:read', { env: 'test' }, 'exact')).toBe(false);
    expect(allows(grants, 'environments:read', { env: 'prod' }, 'within')).toBe(false);
    expect(allows(grants, 'environments:read', { app: 'bank', env: 'test' }, 'within')).toBe(false);
  });
});
