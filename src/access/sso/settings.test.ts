import { describe, expect, it } from 'vitest';
import { safeReturnPath, ssoSettingsFrom } from './settings.js';
import { groupsOf, needsUserInfo, usernameOf } from './claims.js';

describe('single sign-on settings', () => {
  it('are off without an issuer, with defaults otherwise', () => {
    expect(ssoSettingsFrom({})).toBeUndefined();
    const s = ssoSettingsFrom({ BERTH_OIDC_ISSUER: 'https://id.example.com/realms/x', BERTH_OIDC_CLIENT_ID: 'berth' });
    expect(s).toMatchObject({ clientId: 'berth', groupsClaim: 'groups', scopes: 'openid profile email groups' });
    expect(s?.clientSecret).toBeUndefined();
    expect(s?.issuer.href).toBe('https://id.example.com/realms/x');
  });

  it('name the variable that is wrong', () => {
    const bad = (env: NodeJS.ProcessEnv) => {
      try {
        ssoSettingsFrom(env);
      } catch (err) {
        return (err as { problems: { path: string }[] }).problems[0]!.path;
      }
      return 'accepted';
    };
    expect(bad({ BERTH_OIDC_ISSUER: 'https://id.example.com' })).toBe('BERTH_OIDC_CLIENT_ID');
    expect(bad({ BERTH_OIDC_ISSUER: 'not a url', BERTH_OIDC_CLIENT_ID: 'b' })).toBe('BERTH_OIDC_ISSUER');
    expect(bad({ BERTH_OIDC_ISSUER: 'ftp://x', BERTH_OIDC_CLIENT_ID: 'b' })).toBe('BERTH_OIDC_ISSUER');
    expect(bad({ BERTH_OIDC_ISSUER: 'https://x', BERTH_OIDC_CLIENT_ID: 'b', BERTH_OIDC_SCOPES: 'profile' })).toBe(
      'BERTH_OIDC_SCOPES',
    );
    expect(bad({ BERTH_OIDC_ISSUER: 'https://x', BERTH_OIDC_CLIENT_ID: 'b', BERTH_PUBLIC_URL: 'x' })).toBe(
      'BERTH_PUBLIC_URL',
    );
  });

  it('return only to a path of the console', () => {
    expect(safeReturnPath('/apps/shop/prod?tab=1#x')).toBe('/apps/shop/prod?tab=1#x');
    for (const to of [
      undefined,
      '',
      'apps',
      '//evil.example',
      'https://evil.example/',
      '/\\evil.example',
      '/\tx',
      'javascript:alert(1)',
    ])
      expect(safeReturnPath(to), String(to)).toBe('/');
  });
});

describe('claims', () => {
  const s = { groupsClaim: 'groups' } as { groupsClaim: string; usernameClaim?: string };
  it('name the user by preferred_username, else email, else sub (or the one claim configured)', () => {
    expect(usernameOf({ sub: 'u1', email: 'a@x.org', preferred_username: 'alice' }, s)).toBe('alice');
    expect(usernameOf({ sub: 'u1', email: 'a@x.org' }, s)).toBe('a@x.org');
    expect(usernameOf({ sub: 'u1', preferred_username: 'not valid!' }, s)).toBe('u1');
    expect(usernameOf({ sub: 'u1', email: 'a@x.org' }, { usernameClaim: 'upn' })).toBeUndefined();
  });

  it('read groups as a list or one name, drop what is not a name, follow dotted paths', () => {
    expect(groupsOf({ groups: ['/ops', 'dev', 'dev', 'bad name'] }, s)).toEqual({
      groups: ['dev', 'ops'],
      dropped: ['bad name'],
    });
    expect(groupsOf({ groups: 'ops' }, s).groups).toEqual(['ops']);
    expect(groupsOf({}, s).groups).toEqual([]);
    expect(groupsOf({ realm_access: { roles: ['admin'] } }, { groupsClaim: 'realm_access.roles' }).groups).toEqual([
      'admin',
    ]);
  });

  it('ask UserInfo when the ID token lacks the groups or the preferred name', () => {
    expect(needsUserInfo({ sub: 'x', preferred_username: 'a', groups: [] }, s)).toBe(false);
    expect(needsUserInfo({ sub: 'x', preferred_username: 'a' }, s)).toBe(true);
    expect(needsUserInfo({ sub: 'x', groups: [] }, s)).toBe(true);
  });
});
