/**
 * Who an SSO sign-in is, from the provider's claims (the ID token's, completed by the UserInfo
 * endpoint's): the user name (BERTH_OIDC_USERNAME_CLAIM, else preferred_username, else email, else
 * sub) and the groups (BERTH_OIDC_GROUPS_CLAIM, default `groups`: an array of names or one name).
 */
import { SUBJECT_NAME } from '../users.js';
import { DEFAULT_USERNAME_CLAIMS, type SsoSettings } from './settings.js';

export type Claims = Readonly<Record<string, unknown>>;

const own = (claims: Claims, key: string): unknown => (Object.hasOwn(claims, key) ? claims[key] : undefined);

/** A dotted claim path (`realm_access.roles`, Keycloak's realm roles) read own key by own key. */
export function claimAt(claims: Claims, path: string): unknown {
  let at: unknown = claims;
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return own(claims, path);
    at = own(at as Claims, key);
  }
  return at;
}

/** The claims that name a user, in the order they are tried. */
export function usernameClaims(s: Pick<SsoSettings, 'usernameClaim'>): readonly string[] {
  return s.usernameClaim ? [s.usernameClaim] : DEFAULT_USERNAME_CLAIMS;
}

/** The user name the claims give (the first claim present that is a valid name), or undefined. */
export function usernameOf(claims: Claims, s: Pick<SsoSettings, 'usernameClaim'>): string | undefined {
  for (const c of usernameClaims(s)) {
    const v = claimAt(claims, c);
    if (typeof v === 'string' && SUBJECT_NAME.test(v)) return v;
  }
  return undefined;
}

/**
 * The groups of the groups claim: its valid names (a leading `/`, Keycloak's full group path, dropped),
 * and the values it had that are not valid names (reported, not kept). An absent claim is no groups.
 */
export function groupsOf(claims: Claims, s: Pick<SsoSettings, 'groupsClaim'>): { groups: string[]; dropped: string[] } {
  const v = claimAt(claims, s.groupsClaim);
  const values = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  const groups: string[] = [];
  const dropped: string[] = [];
  for (const g of values) {
    const name = typeof g === 'string' ? g.replace(/^\//, '') : undefined;
    if (name !== undefined && SUBJECT_NAME.test(name)) groups.push(name);
    else dropped.push(String(g));
  }
  return { groups: [...new Set(groups)].sort(), dropped };
}

/** Whether the claims lack what Berth needs (then the UserInfo endpoint is asked too). */
export function needsUserInfo(claims: Claims, s: Pick<SsoSettings, 'usernameClaim' | 'groupsClaim'>): boolean {
  return claimAt(claims, s.groupsClaim) === undefined || claimAt(claims, usernameClaims(s)[0]!) === undefined;
}
