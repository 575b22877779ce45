/**
 * The permission every API operation needs, and where (docs/access.md): one table beside OPERATIONS
 * (openapi.ts), checked before any handler runs, deny by default. A route missing from the table does
 * not start (app.ts refuses it), so a new operation must say what it needs. test/e2e/role-matrix.test.ts
 * calls every operation of the OpenAPI document as each role and checks the answers against this table.
 *
 * Where an operation acts comes from its URL (`:app`, `:env`, an environment's `:name`), its query, a
 * stored object it names (a build, a pipeline run), or — for the operations that take a berth.yaml,
 * whose app is known only once the spec is loaded — from the handler itself, which calls `authorize`
 * (a response of such a route that never did is turned into a 500: the wall cannot be forgotten).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Permission, Scope, ScopeMatch } from '../model/access.js';
import { InternalError } from '../errors.js';
import type { ServerContext } from './context.js';
import { principalOf } from './identity.js';

/** Where an operation acts. */
export type ScopeFrom =
  /** The control plane as a whole: only a grant on any app in any environment covers it. */
  | 'global'
  /** A list or overview: a grant anywhere lets the caller in. */
  | 'anywhere'
  /** `:app` and `:env` of the URL (an environment's `:name` as env). */
  | 'path'
  /** The handler checks with `authorize` once it knows the app (a sent berth.yaml); the gate here asks for a grant anywhere. */
  | 'handler'
  /**
   * Read from the request (body, query) or a stored object it names: the scope, or `anywhere` for a list
   * not narrowed or an object that does not exist (its handler answers 404 to whoever may read some).
   * Runs BEFORE validation (a caller without the permission learns nothing of the API's shapes): read
   * fields defensively; an empty scope means the control plane as a whole.
   */
  | ((req: FastifyRequest, ctx: ServerContext) => Scope | 'anywhere' | Promise<Scope | 'anywhere'>);

export interface Rule {
  /** What the operation needs; null: any verified caller (its own identity, the API's description). */
  permission: Permission | null | ((req: FastifyRequest) => Permission);
  scope: ScopeFrom;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Whether the handler made the check of a `handler`-scoped rule. */
    authorized: boolean;
  }
}

const app = '/api/v1/apps/:app/envs/:env';

const rule = (permission: Rule['permission'], scope: ScopeFrom = 'path'): Rule => ({ permission, scope });
const read = rule('apps:read');
const deploy = rule('apps:deploy');

type Fields = Record<string, unknown> | undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

interface FieldNames {
  app?: string;
  env?: string;
  /** The environment the body's schema defaults to when it has none. */
  envDefault?: string;
}

/** The scope named by fields of the body (`app`, `env`); absent ones stay absent (so only a grant on `*` covers them). */
function fromBody(keys: FieldNames = { app: 'app', env: 'env' }) {
  return (req: FastifyRequest): Scope => {
    const f = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Fields;
    const appName = keys.app ? str(f?.[keys.app]) : undefined;
    const env = (keys.env ? str(f?.[keys.env]) : undefined) ?? keys.envDefault;
    return { ...(appName ? { app: appName } : {}), ...(env ? { env } : {}) };
  };
}

/** A list narrowed by `?app=&env=` (the fields it has): exact when narrowed, else a grant anywhere lets the caller in. */
function listByQuery(keys: FieldNames = { app: 'app', env: 'env' }) {
  return (req: FastifyRequest): Scope | 'anywhere' => {
    const q = req.query as Fields;
    const appName = keys.app ? str(q?.[keys.app]) : undefined;
    const env = keys.env ? str(q?.[keys.env]) : undefined;
    if (!appName && !env) return 'anywhere';
    return { ...(appName ? { app: appName } : {}), ...(env ? { env } : {}) };
  };
}

function paramOf(req: FastifyRequest, name: string): string | undefined {
  return str((req.params as Fields)?.[name]);
}

async function ofBuild(req: FastifyRequest, ctx: ServerContext): Promise<Scope | 'anywhere'> {
  const id = paramOf(req, 'id');
  const b = id && ctx.builds ? await ctx.builds.store.get(id) : undefined;
  return b ? { app: b.app, env: b.env } : 'anywhere';
}

function ofPipelineRun(req: FastifyRequest, ctx: ServerContext): Scope | 'anywhere' {
  const id = Number(paramOf(req, 'id'));
  if (!ctx.pipelines || !Number.isInteger(id)) return 'anywhere';
  try {
    return { app: ctx.pipelines.run(id).app };
  } catch {
    return 'anywhere'; // unknown run: the handler answers 404 to whoever may read runs somewhere
  }
}

/** An approval request's app and environment (an unknown one: the handler answers 404). */
async function ofApproval(req: FastifyRequest, ctx: ServerContext): Promise<Scope | 'anywhere'> {
  const id = Number(paramOf(req, 'id'));
  if (!Number.isInteger(id) || id <= 0) return 'anywhere';
  const a = await ctx.approvals.get(id).catch(() => undefined);
  return a ? { app: a.app, env: a.env } : 'anywhere';
}

const appOnly = (req: FastifyRequest): Scope => ({ app: paramOf(req, 'app') ?? '' });

/** Every operation's rule, by `METHOD url` (Map: looked up by own key only). */
export const ROUTE_RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['GET /api/v1/info', rule(null, 'global')],
  ['POST /api/v1/shutdown', rule('system:shutdown', 'global')],
  ['POST /api/v1/validate', rule(null, 'global')],
  ['GET /api/v1/schema', rule(null, 'global')],
  ['GET /metrics', rule('system:read', 'global')],

  ['GET /api/v1/apps', rule('apps:read', 'anywhere')],
  [`GET ${app}/status`, read],
  [`GET ${app}/status/stream`, read],
  [`DELETE ${app}`, rule('apps:delete')],
  ['GET /api/v1/volumes', rule('apps:read', listByQuery())],
  [`DELETE ${app}/volumes/:volume`, rule('apps:delete')],
  [`DELETE ${app}/volumes`, rule('apps:delete')],
  [`GET ${app}/autoscale`, read],
  [`GET ${app}/jobs`, read],
  [`POST ${app}/jobs/:job/runs`, deploy],
  ['GET /api/v1/traces/:traceId', rule('apps:read', 'anywhere')],
  [`GET ${app}/callgraph`, read],
  [`GET ${app}/traces`, read],
  [`GET ${app}/alerts`, read],
  [`GET ${app}/alerts/rules`, read],
  [`GET ${app}/alerts/rules/:name`, read],
  [`PUT ${app}/alerts/rules/:name`, rule('alerts:write')],
  [`POST ${app}/alerts/rules-file`, rule('alerts:write')],
  [`GET ${app}/alerts/history`, read],
  [`GET ${app}/alerts/silences`, read],
  [`POST ${app}/alerts/silences`, rule('alerts:write')],
  [`DELETE ${app}/alerts/silences/:id`, rule('alerts:write')],
  [`DELETE ${app}/alerts/rules/:name`, rule('alerts:write')],

  ['POST /api/v1/plans', rule('apps:read', 'handler')],
  ['POST /api/v1/releases', rule('apps:deploy', 'handler')],
  ['POST /api/v1/promotions', rule('apps:deploy', fromBody({ app: 'app', env: 'to' }))],
  ['POST /api/v1/promotions/preview', rule('apps:read', fromBody({ app: 'app', env: 'to' }))],
  [`GET ${app}/releases`, read],
  [`GET ${app}/releases/:revision`, read],
  [`GET ${app}/releases/:revision/rendered`, read],
  [`GET ${app}/releases/:revision/events`, read],
  [`GET ${app}/diff`, read],
  [`POST ${app}/rollback`, deploy],
  [`POST ${app}/services/:service/scale`, deploy],
  [`POST ${app}/services/:service/restart`, deploy],
  [`POST ${app}/restart`, deploy],
  [`POST ${app}/services/:service/promote`, deploy],
  [`POST ${app}/cancel`, deploy],
  [`POST ${app}/services/:service/abort`, deploy],
  [`GET ${app}/policy`, read],
  [`PUT ${app}/services/:service/policy`, rule('policy:write')],
  [`PUT ${app}/routes/policy`, rule('policy:write')],
  [`GET ${app}/config`, read],
  [`PATCH ${app}/config`, rule('config:write')],
  [`POST ${app}/config/revert`, rule('config:write')],
  [`GET ${app}/config/history`, read],
  [`GET ${app}/config/diff`, read],
  [
    `GET ${app}/config/values/:key`,
    rule((req) => ((req.query as Fields)?.['reveal'] === 'true' ? 'secrets:reveal' : 'apps:read')),
  ],
  [`GET ${app}/config/files/*`, read],
  [`GET ${app}/variables`, read],
  [`GET ${app}/logs`, read],
  [`GET ${app}/logs/search`, read],
  [`GET ${app}/metrics/history`, read],
  [`GET ${app}/metrics/markers`, read],

  ['GET /api/v1/environments', rule('environments:read', 'anywhere')],
  ['GET /api/v1/environments/:name', rule('environments:read')],
  ['POST /api/v1/environments', rule('environments:write', fromBody({ env: 'name' }))],
  ['PATCH /api/v1/environments/:name', rule('environments:write')],
  ['POST /api/v1/environments/:name/copy', rule('environments:write')],
  ['GET /api/v1/environments/:name/config-diff', rule('environments:read')],
  ['DELETE /api/v1/environments/:name', rule('environments:write')],
  ['POST /api/v1/render', rule('apps:read', 'handler')],
  ['POST /api/v1/export/helm', rule('apps:read', 'handler')],

  ['GET /api/v1/previews', rule('previews:read', listByQuery({ app: 'app' }))],
  ['POST /api/v1/previews', rule('previews:write', fromBody({ app: 'app' }))],
  ['GET /api/v1/previews/:app/:key', rule('previews:read', appOnly)],
  ['DELETE /api/v1/previews/:app/:key', rule('previews:write', appOnly)],
  ['GET /api/v1/hooks/deliveries', rule('hooks:read', listByQuery({ app: 'app' }))],

  ['PUT /api/v1/pipelines/:app', rule('pipelines:write', appOnly)],
  ['GET /api/v1/pipelines/:app', rule('pipelines:read', appOnly)],
  ['POST /api/v1/pipelines/:app/runs', rule('pipelines:run', appOnly)],
  ['GET /api/v1/pipelines/:app/runs', rule('pipelines:read', appOnly)],
  ['GET /api/v1/pipeline-runs/:id', rule('pipelines:read', ofPipelineRun)],
  ['POST /api/v1/pipeline-runs/:id/approve', rule('approvals:approve', ofPipelineRun)],
  ['POST /api/v1/pipeline-runs/:id/cancel', rule('pipelines:run', ofPipelineRun)],
  ['GET /api/v1/pipeline-runs/:id/steps/:n/log', rule('pipelines:read', ofPipelineRun)],

  ['POST /api/v1/builds', rule('builds:run', fromBody({ app: 'app', env: 'env', envDefault: 'local' }))],
  ['GET /api/v1/builds', rule('builds:read', listByQuery())],
  ['GET /api/v1/builds/:id', rule('builds:read', ofBuild)],
  ['GET /api/v1/builds/:id/log', rule('builds:read', ofBuild)],

  ['GET /api/v1/me', rule(null, 'global')],
  ['GET /api/v1/openapi.json', rule(null, 'global')],

  ['POST /api/v1/users', rule('users:write', 'global')],
  ['GET /api/v1/users', rule('users:read', 'global')],
  ['GET /api/v1/users/:name', rule('users:read', 'global')],
  ['PATCH /api/v1/users/:name', rule('users:write', 'global')],
  ['DELETE /api/v1/users/:name', rule('users:write', 'global')],
  // Own tokens with any identity; another user's: the handler asks users:read / users:write (routes/tokens.ts).
  ['POST /api/v1/tokens', rule(null, 'global')],
  ['GET /api/v1/tokens', rule(null, 'global')],
  ['DELETE /api/v1/tokens/:id', rule(null, 'global')],
  // users:write here, roles:write in the handler: the new token is an admin everywhere.
  ['POST /api/v1/tokens/bootstrap/rotate', rule('users:write', 'global')],
  ['GET /api/v1/roles', rule('roles:read', 'global')],
  ['POST /api/v1/roles', rule('roles:write', 'global')],
  ['DELETE /api/v1/roles/:name', rule('roles:write', 'global')],
  ['GET /api/v1/role-bindings', rule('roles:read', 'global')],
  ['POST /api/v1/role-bindings', rule('roles:write', 'global')],
  ['DELETE /api/v1/role-bindings/:id', rule('roles:write', 'global')],
  ['GET /api/v1/audit', rule('audit:read', 'global')],
  ['GET /api/v1/audit/verify', rule('audit:read', 'global')],
  ['POST /api/v1/approvals', rule('approvals:request', fromBody())],
  ['GET /api/v1/approvals', rule('approvals:request', 'anywhere')],
  ['GET /api/v1/approvals/:id', rule('approvals:request', ofApproval)],
  ['POST /api/v1/approvals/:id/approve', rule('approvals:approve', ofApproval)],
  ['POST /api/v1/approvals/:id/reject', rule('approvals:approve', ofApproval)],
  ['POST /api/v1/approvals/:id/withdraw', rule('approvals:request', ofApproval)],
]);

/** The rule of a route (`METHOD url` as fastify registered it). */
export function ruleOf(method: string, url: string): Rule | undefined {
  const key = `${method} ${url}`;
  return ROUTE_RULES.has(key) ? ROUTE_RULES.get(key) : undefined;
}

/** The scope and match of `rule` for `req` (an empty scope from a list or an unknown object: a grant anywhere). */
async function scopeOf(
  rule: Rule,
  req: FastifyRequest,
  ctx: ServerContext,
): Promise<{ scope: Scope; match: ScopeMatch }> {
  if (rule.scope === 'global') return { scope: {}, match: 'exact' };
  if (rule.scope === 'anywhere' || rule.scope === 'handler') return { scope: {}, match: 'anywhere' };
  if (rule.scope === 'path') {
    const env = paramOf(req, 'env') ?? paramOf(req, 'name');
    const appName = paramOf(req, 'app');
    return { scope: { ...(appName ? { app: appName } : {}), ...(env ? { env } : {}) }, match: 'exact' };
  }
  const scope = await rule.scope(req, ctx);
  return scope === 'anywhere' ? { scope: {}, match: 'anywhere' } : { scope, match: 'exact' };
}

/** The check before a handler (a preValidation hook: body and query are parsed, not yet validated). */
export async function checkRoute(req: FastifyRequest, ctx: ServerContext, r: Rule): Promise<void> {
  const principal = principalOf(req);
  if (r.permission === null) {
    req.authorized = true;
    return;
  }
  const permission = typeof r.permission === 'function' ? r.permission(req) : r.permission;
  const { scope, match } = await scopeOf(r, req, ctx);
  if (r.scope !== 'handler') req.accessScope = scope;
  await ctx.access.authorizer.require(principal, permission, scope, match);
  if (r.scope !== 'handler') req.authorized = true;
}

/** The handler's own check of a `handler`-scoped operation, once it knows the app and environment. */
export async function authorize(
  req: FastifyRequest,
  ctx: ServerContext,
  permission: Permission,
  scope: Scope,
): Promise<void> {
  req.accessScope = scope;
  await ctx.access.authorizer.require(principalOf(req), permission, scope, 'exact');
  req.authorized = true;
}

/** onSend: a successful answer of a route whose handler never made its check is not sent (a bug, said loudly). */
export function assertChecked(req: FastifyRequest, reply: FastifyReply): void {
  if (req.identity && !req.authorized && reply.statusCode < 400)
    throw new InternalError(`${req.method} ${req.routeOptions.url ?? req.url} answered without its permission check`);
}
