/**
 * The role matrix (issue 18, point 2): every operation of the OpenAPI document, called over HTTP on
 * 127.0.0.1 by users holding each built-in role (and a custom one) in app `shop` in environment `test`, or
 * on every app and environment, and by no one. Its expectations are written here, operation by operation,
 * independently of src/server/routePermissions.ts: allowed where the role grants the permission in the
 * operation's scope (any answer but 401 and 403), 403 naming the permission otherwise, 401 without an
 * identity. A new operation fails this test until it is added to NEEDS.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from './testing/apiContext.js';
import { BUILTIN_ROLES, type Permission } from '../model/access.js';

/**
 * Where an operation acts, as the matrix sees it:
 * - `appenv`: in app shop, environment test (from the URL or body) — a binding there or on * covers it;
 * - `env`: on environment test as a whole — only a binding on every app covers it;
 * - `app`: on app shop in every environment (pipelines, previews) — only a binding on every environment;
 * - `global`: the control plane — only a binding on every app and environment;
 * - `list`: a list, or an object unknown to this control plane — the permission anywhere lets the caller in.
 */
type Where = 'appenv' | 'env' | 'app' | 'global' | 'list';

/** What each operation needs: [permission (null: any identity), where]. */
const NEEDS: ReadonlyMap<string, readonly [Permission | null, Where]> = new Map<
  string,
  readonly [Permission | null, Where]
>([
  ['getInfo', [null, 'global']],
  ['shutdown', ['system:shutdown', 'global']],
  ['validateSpec', [null, 'global']],
  ['getSpecSchema', [null, 'global']],
  ['getMetrics', ['system:read', 'global']],
  ['listApps', ['apps:read', 'list']],
  ['getAppStatus', ['apps:read', 'appenv']],
  ['streamAppStatus', ['apps:read', 'appenv']],
  ['takeAppDown', ['apps:delete', 'appenv']],
  ['listVolumes', ['apps:read', 'list']],
  ['deleteVolume', ['apps:delete', 'appenv']],
  ['deleteAppVolumes', ['apps:delete', 'appenv']],
  ['getAutoscale', ['apps:read', 'appenv']],
  ['listJobs', ['apps:read', 'appenv']],
  ['runJob', ['apps:deploy', 'appenv']],
  ['getTrace', ['apps:read', 'list']],
  ['getCallGraph', ['apps:read', 'appenv']],
  ['listTraces', ['apps:read', 'appenv']],
  ['listAlerts', ['apps:read', 'appenv']],
  ['listAlertRules', ['apps:read', 'appenv']],
  ['getAlertRule', ['apps:read', 'appenv']],
  ['putAlertRule', ['alerts:write', 'appenv']],
  ['applyAlertRulesFile', ['alerts:write', 'appenv']],
  ['alertHistory', ['apps:read', 'appenv']],
  ['listSilences', ['apps:read', 'appenv']],
  ['createSilence', ['alerts:write', 'appenv']],
  ['expireSilence', ['alerts:write', 'appenv']],
  ['deleteAlertRule', ['alerts:write', 'appenv']],
  ['plan', ['apps:read', 'appenv']],
  ['deploy', ['apps:deploy', 'appenv']],
  ['promoteBetweenEnvironments', ['apps:deploy', 'appenv']],
  ['previewPromotion', ['apps:read', 'appenv']],
  ['listReleases', ['apps:read', 'appenv']],
  ['getRelease', ['apps:read', 'appenv']],
  ['getRenderedRelease', ['apps:read', 'appenv']],
  ['streamReleaseEvents', ['apps:read', 'appenv']],
  ['diffReleases', ['apps:read', 'appenv']],
  ['rollback', ['apps:deploy', 'appenv']],
  ['scaleService', ['apps:deploy', 'appenv']],
  ['restartService', ['apps:deploy', 'appenv']],
  ['restartApp', ['apps:deploy', 'appenv']],
  ['promote', ['apps:deploy', 'appenv']],
  ['cancelRelease', ['apps:deploy', 'appenv']],
  ['abort', ['apps:deploy', 'appenv']],
  ['getPolicies', ['apps:read', 'appenv']],
  ['setServicePolicy', ['policy:write', 'appenv']],
  ['setRoutePolicy', ['policy:write', 'appenv']],
  ['getConfig', ['apps:read', 'appenv']],
  ['changeConfig', ['config:write', 'appenv']],
  ['revertConfig', ['config:write', 'appenv']],
  ['listConfigVersions', ['apps:read', 'appenv']],
  ['diffConfig', ['apps:read', 'appenv']],
  ['getConfigValue', ['secrets:reveal', 'appenv']], // asked with ?reveal=true
  ['getConfigFile', ['apps:read', 'appenv']],
  ['getVariables', ['apps:read', 'appenv']],
  ['getLogs', ['apps:read', 'appenv']],
  ['searchLogs', ['apps:read', 'appenv']],
  ['getMetricHistory', ['apps:read', 'appenv']],
  ['getReleaseMarkers', ['apps:read', 'appenv']],
  ['listEnvironments', ['environments:read', 'list']],
  ['getEnvironment', ['environments:read', 'env']],
  ['createEnvironment', ['environments:write', 'env']],
  ['setEnvironmentEdge', ['environments:write', 'env']],
  ['copyEnvironment', ['environments:write', 'env']],
  ['diffEnvironmentConfig', ['environments:read', 'env']],
  ['deleteEnvironment', ['environments:write', 'env']],
  ['render', ['apps:read', 'appenv']],
  ['exportHelm', ['apps:read', 'appenv']],
  ['listPreviews', ['previews:read', 'list']],
  ['openPreview', ['previews:write', 'app']],
  ['getPreview', ['previews:read', 'app']],
  ['closePreview', ['previews:write', 'app']],
  ['listWebhookDeliveries', ['hooks:read', 'list']],
  ['setPipeline', ['pipelines:write', 'app']],
  ['getPipeline', ['pipelines:read', 'app']],
  ['startPipelineRun', ['pipelines:run', 'app']],
  ['listPipelineRuns', ['pipelines:read', 'app']],
  // runs and builds this control plane does not know: a grant anywhere lets the caller reach the 404
  ['getPipelineRun', ['pipelines:read', 'list']],
  ['approvePipelineRun', ['approvals:approve', 'list']],
  ['cancelPipelineRun', ['pipelines:run', 'list']],
  ['getPipelineStepLog', ['pipelines:read', 'list']],
  ['startBuild', ['builds:run', 'appenv']],
  ['listBuilds', ['builds:read', 'list']],
  ['getBuild', ['builds:read', 'list']],
  ['getBuildLog', ['builds:read', 'list']],
  ['whoAmI', [null, 'global']],
  ['createUser', ['users:write', 'global']],
  ['listUsers', ['users:read', 'global']],
  ['getUser', ['users:read', 'global']],
  ['changeUser', ['users:write', 'global']],
  ['deleteUser', ['users:write', 'global']],
  // a caller's own tokens need no permission (the body sent names no other user)
  ['createToken', [null, 'global']],
  ['listTokens', [null, 'global']],
  // token 1 is the bootstrap token: another's, so users:write
  ['revokeToken', ['users:write', 'global']],
  ['rotateBootstrapToken', ['users:write', 'global']],
  ['listRoles', ['roles:read', 'global']],
  ['createRole', ['roles:write', 'global']],
  ['deleteRole', ['roles:write', 'global']],
  ['listRoleBindings', ['roles:read', 'global']],
  ['bindRole', ['roles:write', 'global']],
  ['unbindRole', ['roles:write', 'global']],
  ['listAuditEntries', ['audit:read', 'global']],
  ['verifyAuditLog', ['audit:read', 'global']],
  ['askApproval', ['approvals:request', 'appenv']],
  ['listApprovals', ['approvals:request', 'list']],
  // a request this control plane does not know: a grant anywhere lets the caller reach the 404
  ['getApproval', ['approvals:request', 'list']],
  ['approve', ['approvals:approve', 'list']],
  ['reject', ['approvals:approve', 'list']],
  ['withdrawApproval', ['approvals:request', 'list']],
]);

/** Operations that take no identity (their own proof, or none): left out of the matrix. */
const PUBLIC = new Set([
  'getHealth',
  'receiveWebhook',
  'logIn',
  'openSession',
  'closeSession',
  'getSso',
  'startSsoLogin',
  'finishSsoLogin',
  'startCliSsoLogin',
  'exchangeCliSsoCode',
]);

const SPEC_TEXT = ['name: shop', 'services:', '  web:', '    image: shop/web:1', '    ports: [8080]', ''].join('\n');

interface Operation {
  id: string;
  method: string;
  /** The OpenAPI path, e.g. /api/v1/apps/{app}/envs/{env}/status. */
  path: string;
}

/** The request of `op` acting in app shop, environment `env`. */
function requestOf(op: Operation, env: string): { url: string; body?: unknown } {
  const values: Record<string, string> = {
    app: 'shop',
    env,
    name: env,
    service: 'web',
    job: 'migrate',
    volume: 'data',
  };
  const url = op.path.replace(/\{([^}]+)\}/g, (_, p: string) => {
    if (Object.hasOwn(values, p)) return values[p]!;
    if (p === 'traceId') return '0af7651916cd43dd8448eb211c80319c';
    if (p === '*') return 'app.conf';
    if (p === 'key') return 'GREETING';
    if (p === 'id') return op.id === 'revokeToken' ? '1' : '999999'; // no binding, run or build of the matrix's own
    return '1';
  });
  const spec = { file: '/apps/shop/berth.yaml', text: SPEC_TEXT };
  switch (op.id) {
    case 'getConfigValue':
      return { url: `${url}?reveal=true` };
    case 'plan':
    case 'deploy':
    case 'render':
    case 'exportHelm':
      return { url, body: { env, spec } };
    case 'promoteBetweenEnvironments':
    case 'previewPromotion':
      return { url, body: { app: 'shop', from: env, to: env } }; // reading FROM is checked too (visibility.test.ts)
    case 'startBuild':
      return { url, body: { app: 'shop', env, spec } };
    case 'openPreview':
      return { url, body: { app: 'shop', key: 'pr-1' } };
    case 'askApproval':
      return { url, body: { action: 'deploy', app: 'shop', env, reason: 'matrix', request: { env, spec } } };
    case 'createEnvironment':
      return { url, body: { name: env, target: { kind: 'local' } } };
    default:
      return op.method === 'GET' || op.method === 'DELETE' ? { url } : { url, body: {} };
  }
}

/** A principal of the matrix: the role it holds and where. */
interface Holder {
  user: string;
  role: string | null;
  app: string;
  env: string;
}

const CUSTOM = { name: 'secret-keeper', permissions: ['apps:read', 'secrets:reveal'] as Permission[] };

const HOLDERS: Holder[] = [
  { user: 'nobody', role: null, app: '*', env: '*' },
  ...[...BUILTIN_ROLES.keys(), CUSTOM.name].map((role) => ({
    user: `${role}-shop-test`,
    role,
    app: 'shop',
    env: 'test',
  })),
  { user: 'viewer-all', role: 'viewer', app: '*', env: '*' },
  { user: 'admin-all', role: 'admin', app: '*', env: '*' },
];

function permissionsOf(role: string | null): readonly Permission[] {
  if (role === null) return [];
  if (role === CUSTOM.name) return CUSTOM.permissions;
  return BUILTIN_ROLES.get(role) ?? [];
}

/** Whether `h` may call an operation needing `need` in `where`, acting in environment `env` of app shop. */
function expected(h: Holder, need: Permission | null, where: Where, env: string): boolean {
  if (need === null) return true;
  if (!permissionsOf(h.role).includes(need)) return false;
  const everyApp = h.app === '*';
  const everyEnv = h.env === '*';
  switch (where) {
    case 'list':
      return true;
    case 'global':
      return everyApp && everyEnv;
    case 'env':
      return everyApp && (everyEnv || h.env === env);
    case 'app':
      return everyEnv && (everyApp || h.app === 'shop');
    case 'appenv':
      return (everyApp || h.app === 'shop') && (everyEnv || h.env === env);
  }
}

describe('the role matrix over every API operation', () => {
  let t: TestApi;
  let base: string;
  let operations: Operation[];
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    t = await testApi();
    await t.ctx.environments.create({ name: 'test', target: { kind: 'local' } });
    await t.ctx.access.roles.createRole({ ...CUSTOM, createdBy: 'test' });
    for (const h of HOLDERS) {
      await t.ctx.access.users.create({ name: h.user, kind: 'user', createdBy: 'test' });
      if (h.role)
        await t.ctx.access.roles.bind({
          subjectKind: 'user',
          subject: h.user,
          role: h.role,
          app: h.app,
          env: h.env,
          createdBy: 'test',
        });
      const { secret } = await t.ctx.access.tokens.issue({
        name: 'matrix',
        kind: 'personal',
        user: h.user,
        createdBy: 'test',
      });
      tokens.set(h.user, secret);
    }
    await t.api.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.api.server.address() as AddressInfo).port}`;
    const doc = (await t.request({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, { operationId?: string }>>;
    }>();
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, o]) => o.operationId !== undefined && !PUBLIC.has(o.operationId))
        .map(([method, o]) => ({ id: o.operationId!, method: method.toUpperCase(), path })),
    );
  });
  afterAll(async () => t.close());

  /** The status (and a 403's named permission) of `op` called with `token` (null: no identity). */
  async function call(
    op: Operation,
    env: string,
    token: string | null,
  ): Promise<{ status: number; permission?: unknown }> {
    const { url, body } = requestOf(op, env);
    const res = await fetch(`${base}${url}`, {
      method: op.method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status !== 403) {
      await res.body?.cancel(); // a stream (status, events) never ends by itself
      return { status: res.status };
    }
    const answer = (await res.json()) as { details?: { permission?: unknown } };
    return { status: 403, permission: answer.details?.permission };
  }

  it('knows what every operation of the document needs', () => {
    expect(operations.length).toBeGreaterThan(80);
    expect(operations.map((o) => o.id).filter((id) => !NEEDS.has(id))).toEqual([]);
  });

  it('answers 401 to every operation without an identity, and to a revoked or unknown token', async () => {
    const wrong: string[] = [];
    for (const op of operations) {
      for (const token of [null, 'berth_not-a-token']) {
        const { status } = await call(op, 'test', token);
        if (status !== 401) wrong.push(`${op.method} ${op.path}: ${status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  // Out of scope: the same roles bound in `test` act in `prod`, where they hold nothing.
  for (const env of ['test', 'prod']) {
    it(`allows each role exactly what it grants, acting in shop/${env}, and names the missing permission otherwise`, async () => {
      const wrong: string[] = [];
      let allowed = 0;
      let denied = 0;
      for (const op of operations) {
        const [need, where] = NEEDS.get(op.id)!;
        for (const h of HOLDERS) {
          const want = expected(h, need, where, env);
          const got = await call(op, env, tokens.get(h.user)!);
          if (want && (got.status === 401 || got.status === 403))
            wrong.push(`${h.user} ${op.id}: ${got.status}, expected allowed`);
          else if (!want && (got.status !== 403 || got.permission !== need))
            wrong.push(`${h.user} ${op.id}: ${got.status} ${String(got.permission)}, expected 403 naming ${need}`);
          if (want) allowed++;
          else denied++;
        }
      }
      expect(wrong).toEqual([]);
      // the matrix is not one-sided: both answers are exercised many times
      expect(allowed).toBeGreaterThan(150);
      expect(denied).toBeGreaterThan(150);
    }, 120_000);
  }
});
