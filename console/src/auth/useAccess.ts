/**
 * What the signed-in caller may do (docs/access.md): GET /api/v1/me, loaded once per sign-in by
 * RequireIdentity, decided with `allows` from src/model/access.ts — the server's own rule — so a button
 * the server would refuse is disabled with the reason. The server still refuses (403) whatever is shown.
 */
import { createContext, useCallback, useContext, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import {
  allows,
  type AuthMethod,
  type Grant,
  type Permission,
  type PrincipalKind,
  type Scope,
  type ScopeMatch,
} from '../../../src/model/access.js';

/** What GET /api/v1/me answers (src/server/identitySchemas.ts `Me`). */
export interface Me {
  name: string;
  kind: PrincipalKind;
  groups: string[];
  via: AuthMethod;
  credential: string;
  tokenScopes: Permission[] | null;
  grants: Grant[];
  csrf?: string;
  signedInWith?: 'password' | 'sso';
}

/** The caller once known (undefined: outside a signed-in shell, as in a page's unit test: nothing disabled). */
export const AccessContext = createContext<Me | undefined>(undefined);

/** How the caller signed in, as the header shows it. */
export function signInMethod(me: Me): 'sso' | 'password' | 'token' {
  return me.via === 'token' ? 'token' : (me.signedInWith ?? 'password');
}

/** Whether `me` may do `permission` in `scope` (no `me`: not known here, allowed — the server decides). */
export function can(
  me: Me | undefined,
  permission: Permission,
  scope: Scope = {},
  match: ScopeMatch = 'exact',
): boolean {
  return me === undefined || allows(me.grants, permission, scope, match);
}

export interface Access {
  me: Me | undefined;
  can(permission: Permission, scope?: Scope, match?: ScopeMatch): boolean;
  /** Why the caller may not do `permission` in `scope` ("Needs apps:deploy in prod"), or undefined when it may. */
  disabledReason(permission: Permission, scope?: Scope, match?: ScopeMatch): string | undefined;
}

/** The signed-in caller and what it may do. */
export function useAccess(): Access {
  const me = useContext(AccessContext);
  const { t } = useTranslation();
  const check = useCallback(
    (permission: Permission, scope: Scope = {}, match: ScopeMatch = 'exact') => can(me, permission, scope, match),
    [me],
  );
  const disabledReason = useCallback(
    (permission: Permission, scope: Scope = {}, match: ScopeMatch = 'exact'): string | undefined => {
      if (can(me, permission, scope, match)) return undefined;
      const { app, env } = match === 'anywhere' ? {} : scope;
      if (app !== undefined && env !== undefined) return t('auth.need.appEnv', { permission, app, env });
      if (env !== undefined) return t('auth.need.env', { permission, env });
      if (app !== undefined) return t('auth.need.app', { permission, app });
      return t('auth.need.any', { permission });
    },
    [me, t],
  );
  return useMemo(() => ({ me, can: check, disabledReason }), [me, check, disabledReason]);
}
