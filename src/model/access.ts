/**
 * Who may do what (docs/access.md): permissions, the built-in roles, role bindings scoped to an app and
 * an environment, and the one rule that decides whether a set of grants allows a permission somewhere.
 * Pure and dependency-free: the server's authorizer (src/access/authorizer.ts) and the console (which
 * hides or disables what its user may not do) decide with the same function.
 */

/** Every permission an API operation can need (src/server/routePermissions.ts says which). */
export const PERMISSIONS = [
  // apps in an environment
  'apps:read', // status, releases, diffs, config (masked), logs, traces, metrics, alerts, jobs, policies, plans, renders
  'apps:deploy', // deploy, rollback, restart, scale, cancel, abort, promote a track or between environments, run a job
  'apps:delete', // take an app down, delete volumes
  'config:write', // change or revert a config set
  'secrets:reveal', // read a secret's value in clear
  'policy:write', // traffic policies of services and routes
  'alerts:write', // alert rules and silences
  // environments
  'environments:read',
  'environments:write', // create, change, copy, delete
  // delivery
  'builds:read',
  'builds:run',
  'pipelines:read',
  'pipelines:write', // set a pipeline
  'pipelines:run', // start or cancel a run
  'approvals:request', // ask for an operation the caller may not do, or one into an environment that needs approvals
  'approvals:approve', // approve or reject a waiting operation or pipeline step
  'previews:read',
  'previews:write',
  'hooks:read', // webhook deliveries
  // the control plane
  'users:read',
  'users:write', // users, service accounts, their groups and other users' tokens
  'roles:read',
  'roles:write', // custom roles and role bindings
  'audit:read',
  'system:read', // Prometheus metrics of the control plane
  'system:shutdown',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const PERMISSION_SET: ReadonlySet<string> = new Set(PERMISSIONS);

/** Whether `name` is one of PERMISSIONS. */
export function isPermission(name: string): name is Permission {
  return PERMISSION_SET.has(name);
}

/** Everything a viewer may read in the apps and environments bound to it. */
const READ: readonly Permission[] = [
  'apps:read',
  'environments:read',
  'builds:read',
  'pipelines:read',
  'previews:read',
  'hooks:read',
  'approvals:request',
];

/** The built-in roles by name (Map: looked up by own key only). Custom roles are stored (src/access/roleStore.ts). */
export const BUILTIN_ROLES: ReadonlyMap<string, readonly Permission[]> = new Map<string, readonly Permission[]>([
  ['viewer', READ],
  [
    'developer',
    [
      ...READ,
      'apps:deploy',
      'config:write',
      'policy:write',
      'alerts:write',
      'builds:run',
      'pipelines:run',
      'previews:write',
    ],
  ],
  ['deployer', [...READ, 'apps:deploy', 'builds:run', 'pipelines:run', 'approvals:approve']],
  ['admin', PERMISSIONS],
]);

/** Any app or any environment, in a binding's scope. */
export const ANY = '*';

/** Where an operation acts: an app and an environment; an absent part is "not about one" (a list, a global setting). */
export interface Scope {
  app?: string;
  env?: string;
}

/** One role's permissions granted in a scope (a role binding resolved). `app`/`env` are a name or ANY. */
export interface Grant {
  role: string;
  permissions: readonly Permission[];
  app: string;
  env: string;
}

/**
 * How a scope is matched:
 * - `exact`: the operation is about `scope` — a grant covers it when its app and env are ANY or equal to
 *   the scope's; a part the scope leaves out needs ANY (a binding to one app grants nothing about the
 *   environment as a whole; one to one environment nothing about the control plane).
 * - `anywhere`: a list or overview — some grant of the permission, wherever it is, lets the caller in
 *   (what the list then shows is narrowed to the grants, with `within`).
 * - `within`: what a list shows — a grant covers the parts the scope names; the parts it leaves out may be
 *   narrower (an environment is listed to a caller bound to one app in it).
 */
export type ScopeMatch = 'exact' | 'anywhere' | 'within';

function covers(bound: string, wanted: string | undefined): boolean {
  return bound === ANY || (wanted !== undefined && bound === wanted);
}

/** Whether `grants` allow `permission` in `scope`. */
export function allows(
  grants: readonly Grant[],
  permission: Permission,
  scope: Scope,
  match: ScopeMatch = 'exact',
): boolean {
  return grants.some(
    (g) =>
      g.permissions.includes(permission) &&
      (match === 'anywhere' ||
        (match === 'within'
          ? (scope.app === undefined || covers(g.app, scope.app)) &&
            (scope.env === undefined || covers(g.env, scope.env))
          : covers(g.app, scope.app) && covers(g.env, scope.env))),
  );
}

/** What kind of caller a principal is. */
export type PrincipalKind = 'user' | 'service' | 'bootstrap';

/** How the caller proved who it is. */
export type AuthMethod = 'token' | 'session';

/** A verified caller: whose name is recorded as the author of what it changes, and what it may do. */
export interface Principal {
  /** The user or service account (the bootstrap token: its owner). */
  name: string;
  kind: PrincipalKind;
  /** The groups it is in (local groups, or an SSO provider's groups claim). */
  groups: readonly string[];
  via: AuthMethod;
  /**
   * A personal token's scopes: it may do at most these, whatever its owner's roles grant (null: no
   * narrowing). The bootstrap token has none and is an admin everywhere.
   */
  tokenScopes: readonly Permission[] | null;
  /** The stored token's id, or the session's (the audit log names it; never the secret). */
  credentialId: string;
}

/** The permission a role name and its stored definition grant (built-in first). */
export function builtinRole(name: string): readonly Permission[] | undefined {
  return BUILTIN_ROLES.has(name) ? BUILTIN_ROLES.get(name) : undefined;
}

/** Says which permission an operation missed, in words: "apps:deploy on app shop in environment prod". */
export function describeNeed(permission: Permission, scope: Scope): string {
  const where = [
    scope.app !== undefined ? `app ${scope.app}` : undefined,
    scope.env !== undefined ? `environment ${scope.env}` : undefined,
  ].filter((x) => x !== undefined);
  return where.length ? `${permission} on ${where.join(' in ')}` : permission;
}
