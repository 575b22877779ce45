/**
 * Who a request is and what it may do (docs/access.md): a bearer token or a console session turned into
 * a Principal, the grants of its role bindings (a token's scopes narrow them; the bootstrap token is an
 * admin everywhere), and the check every API operation makes before its handler runs
 * (src/server/routePermissions.ts): 403 naming the missing permission, deny by default.
 */
import { ForbiddenError } from '../errors.js';
import {
  ANY,
  PERMISSIONS,
  allows,
  describeNeed,
  type Grant,
  type Permission,
  type Principal,
  type Scope,
  type ScopeMatch,
} from '../model/access.js';
import type { RoleStore } from './roles.js';
import type { Session, SessionStore } from './sessions.js';
import type { TokenStore } from './tokens.js';
import type { UserStore } from './users.js';

export interface Authorizer {
  /** The principal of a bearer token, or undefined (unknown, revoked, expired, or its user gone or disabled). */
  fromToken(secret: string): Promise<Principal | undefined>;
  /** The principal of a console session's cookie value and its session, or undefined. */
  fromSession(secret: string): Promise<{ principal: Principal; session: Session } | undefined>;
  /** What `principal` may do, where. */
  grants(principal: Principal): Promise<Grant[]>;
  /** Whether `principal` may do `permission` in `scope`. */
  can(principal: Principal, permission: Permission, scope: Scope, match?: ScopeMatch): Promise<boolean>;
  /** Throws a ForbiddenError naming the need unless `principal` may do `permission` in `scope`. */
  require(principal: Principal, permission: Permission, scope: Scope, match?: ScopeMatch): Promise<void>;
}

/** What the bootstrap token may do: everything, everywhere. */
const ADMIN_EVERYWHERE: readonly Grant[] = [{ role: 'admin', permissions: PERMISSIONS, app: ANY, env: ANY }];

export function createAuthorizer(o: {
  tokens: TokenStore;
  users: UserStore;
  roles: RoleStore;
  sessions: SessionStore;
}): Authorizer {
  const grants = async (p: Principal): Promise<Grant[]> => {
    const all = p.kind === 'bootstrap' ? [...ADMIN_EVERYWHERE] : await o.roles.grantsOf(p.name, p.groups);
    const scopes = p.tokenScopes;
    if (scopes === null) return all;
    return all
      .map((g) => ({ ...g, permissions: g.permissions.filter((perm) => scopes.includes(perm)) }))
      .filter((g) => g.permissions.length > 0);
  };
  const can = async (p: Principal, permission: Permission, scope: Scope, match: ScopeMatch = 'exact') =>
    allows(await grants(p), permission, scope, match);
  return {
    async fromToken(secret) {
      const t = await o.tokens.verify(secret);
      if (!t) return undefined;
      if (t.user === null)
        return {
          name: t.name,
          kind: 'bootstrap',
          groups: [],
          via: 'token',
          tokenScopes: t.scopes,
          credentialId: `token:${t.id}`,
        };
      const user = await o.users.find(t.user);
      if (!user || user.disabled) return undefined;
      return {
        name: user.name,
        kind: user.kind,
        groups: user.groups,
        via: 'token',
        tokenScopes: t.scopes,
        credentialId: `token:${t.id}`,
      };
    },
    async fromSession(secret) {
      const session = await o.sessions.verify(secret);
      if (!session) return undefined;
      const user = await o.users.find(session.user);
      if (!user || user.disabled) return undefined;
      const groups = [...new Set([...user.groups, ...session.groups])];
      return {
        principal: {
          name: user.name,
          kind: user.kind,
          groups,
          via: 'session',
          tokenScopes: null,
          credentialId: `session:${session.ref}`,
        },
        session,
      };
    },
    grants,
    can,
    async require(p, permission, scope, match = 'exact') {
      if (await can(p, permission, scope, match)) return;
      const need = match === 'anywhere' ? `${permission} (anywhere)` : describeNeed(permission, scope);
      throw new ForbiddenError(`${p.name} may not do this: it needs ${need}`, {
        details: {
          permission,
          ...(scope.app !== undefined ? { app: scope.app } : {}),
          ...(scope.env !== undefined ? { env: scope.env } : {}),
        },
      });
    },
  };
}
