/**
 * The API's operations as the OpenAPI document (`GET /api/v1/openapi.json`) publishes them: an
 * operationId and every status an operation answers, each with its schema, in one table beside the
 * routes (which keep their request schemas). An onRoute hook puts each entry on its route, so the
 * document says what the server really answers: scale answers 202, an environment is created with
 * 201 and deleted with 204, an unknown app is a 404. test/e2e/openapi.test.ts validates the document
 * with an OpenAPI validator, checks that every operation is described, and compares the statuses and
 * bodies of real requests with it.
 */
import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import * as S from './responseSchemas.js';
import * as A from './alertSchemas.js';
import * as G from './callGraphSchemas.js';
import * as M from './metricsHistorySchemas.js';
import * as E from './envCopySchemas.js';
import * as T from './traceSchemas.js';
import * as P from './previewSchemas.js';
import * as H from './hookSchemas.js';
import * as PM from './promotionSchemas.js';
import * as PL from './pipelineSchemas.js';
import * as B from './buildSchemas.js';
import * as ID from './identitySchemas.js';
import * as U from './userSchemas.js';
import * as SO from './ssoSchemas.js';
import * as AU from './auditSchemas.js';
import * as AP from './approvalSchemas.js';

/** An answer: a JSON body (z.null(): none, as a 204), or bodies by content type. */
type Answer = z.ZodType | { description: string; content: Record<string, { schema: z.ZodType }> };

interface Operation {
  id: string;
  /** Status code → answer; errors are added from `errors`. */
  ok: Record<number, Answer>;
  /** The error statuses this operation answers (401 and 403 are added for every route that needs an identity). */
  errors: readonly number[];
}

const NOT_FOUND = 404;
/** Bad input (a path, query or body field). */
const BAD = 400;
/** Another operation runs, or the state forbids this one. */
const BUSY = [409] as const;

const text = (type: string, description: string): Answer => ({
  description,
  content: { [type]: { schema: z.string() } },
});
const stream = (type: string, description: string, schema: z.ZodType): Answer => ({
  description,
  content: { [type]: { schema } },
});

const app = '/api/v1/apps/:app/envs/:env';

/** Every route of the API by `METHOD url` (Map: looked up by own key only). */
export const OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  ['GET /healthz', { id: 'getHealth', ok: { 200: S.Health }, errors: [] }],
  ['GET /api/v1/info', { id: 'getInfo', ok: { 200: S.Info }, errors: [] }],
  ['POST /api/v1/shutdown', { id: 'shutdown', ok: { 202: S.Health }, errors: [BAD] }],
  ['POST /api/v1/validate', { id: 'validateSpec', ok: { 200: S.Validation }, errors: [BAD] }],
  ['GET /api/v1/schema', { id: 'getSpecSchema', ok: { 200: S.AnyObject }, errors: [] }],
  ['GET /metrics', { id: 'getMetrics', ok: { 200: text('text/plain', 'Prometheus text format') }, errors: [] }],

  ['GET /api/v1/apps', { id: 'listApps', ok: { 200: S.AppSummaryList }, errors: [] }],
  [`GET ${app}/status`, { id: 'getAppStatus', ok: { 200: S.AppStatus }, errors: [BAD, NOT_FOUND] }],
  [
    `GET ${app}/status/stream`,
    {
      id: 'streamAppStatus',
      ok: { 200: stream('text/event-stream', 'Server-sent `status` events, each an AppStatus', S.AppStatus) },
      errors: [BAD, NOT_FOUND],
    },
  ],
  [`DELETE ${app}`, { id: 'takeAppDown', ok: { 202: S.Release }, errors: [BAD, NOT_FOUND, ...BUSY] }],
  ['GET /api/v1/volumes', { id: 'listVolumes', ok: { 200: S.VolumeList }, errors: [BAD, NOT_FOUND] }],
  [`DELETE ${app}/volumes/:volume`, { id: 'deleteVolume', ok: { 200: S.VolumeList }, errors: [BAD, NOT_FOUND, 409] }],
  [`DELETE ${app}/volumes`, { id: 'deleteAppVolumes', ok: { 200: S.VolumeList }, errors: [BAD, NOT_FOUND, 409] }],
  [`GET ${app}/autoscale`, { id: 'getAutoscale', ok: { 200: S.AutoscaleStatus }, errors: [BAD, NOT_FOUND] }],
  [`GET ${app}/jobs`, { id: 'listJobs', ok: { 200: S.JobsStatus }, errors: [BAD, NOT_FOUND] }],
  [`POST ${app}/jobs/:job/runs`, { id: 'runJob', ok: { 202: S.JobRun }, errors: [BAD, NOT_FOUND] }],
  ['GET /api/v1/traces/:traceId', { id: 'getTrace', ok: { 200: S.TraceView }, errors: [BAD, NOT_FOUND] }],
  [`GET ${app}/callgraph`, { id: 'getCallGraph', ok: { 200: G.CallGraph }, errors: [BAD, NOT_FOUND, 503] }],
  [`GET ${app}/traces`, { id: 'listTraces', ok: { 200: T.TraceList }, errors: [BAD, NOT_FOUND, 503] }],
  [`GET ${app}/alerts`, { id: 'listAlerts', ok: { 200: A.AlertList }, errors: [BAD] }],
  [`GET ${app}/alerts/rules`, { id: 'listAlertRules', ok: { 200: A.AlertRuleList }, errors: [BAD] }],
  [`GET ${app}/alerts/rules/:name`, { id: 'getAlertRule', ok: { 200: A.AlertRule }, errors: [BAD, NOT_FOUND] }],
  [
    `PUT ${app}/alerts/rules/:name`,
    { id: 'putAlertRule', ok: { 200: A.AlertRule, 201: A.AlertRule }, errors: [BAD, NOT_FOUND] },
  ],
  [
    `POST ${app}/alerts/rules-file`,
    { id: 'applyAlertRulesFile', ok: { 200: A.RulesFileResult }, errors: [BAD, NOT_FOUND] },
  ],
  [`GET ${app}/alerts/history`, { id: 'alertHistory', ok: { 200: A.AlertHistoryList }, errors: [BAD] }],
  [`GET ${app}/alerts/silences`, { id: 'listSilences', ok: { 200: A.SilenceList }, errors: [BAD] }],
  [`POST ${app}/alerts/silences`, { id: 'createSilence', ok: { 201: A.Silence }, errors: [BAD, NOT_FOUND] }],
  [
    `DELETE ${app}/alerts/silences/:id`,
    { id: 'expireSilence', ok: { 204: z.null().describe('Ended: no content') }, errors: [BAD, NOT_FOUND] },
  ],
  [
    `DELETE ${app}/alerts/rules/:name`,
    { id: 'deleteAlertRule', ok: { 204: z.null().describe('Deleted: no content') }, errors: [BAD, NOT_FOUND] },
  ],

  ['POST /api/v1/plans', { id: 'plan', ok: { 200: S.PlanResult }, errors: [BAD, NOT_FOUND] }],
  [
    'POST /api/v1/releases',
    { id: 'deploy', ok: { 202: AP.ReleaseOrApproval }, errors: [BAD, 403, NOT_FOUND, ...BUSY] },
  ],
  [
    'POST /api/v1/promotions',
    { id: 'promoteBetweenEnvironments', ok: { 202: AP.ReleaseOrApproval }, errors: [BAD, 403, NOT_FOUND, ...BUSY] },
  ],
  [
    'POST /api/v1/promotions/preview',
    { id: 'previewPromotion', ok: { 200: PM.PromotionPreview }, errors: [BAD, NOT_FOUND, ...BUSY] },
  ],
  [`GET ${app}/releases`, { id: 'listReleases', ok: { 200: S.ReleaseList }, errors: [BAD, NOT_FOUND] }],
  [`GET ${app}/releases/:revision`, { id: 'getRelease', ok: { 200: S.Release }, errors: [BAD, NOT_FOUND] }],
  [
    `GET ${app}/releases/:revision/rendered`,
    { id: 'getRenderedRelease', ok: { 200: S.AnyObject }, errors: [BAD, NOT_FOUND] },
  ],
  [
    `GET ${app}/releases/:revision/events`,
    {
      id: 'streamReleaseEvents',
      ok: {
        200: stream(
          'text/event-stream',
          'Server-sent `event` (a release event) and `release` (the Release) messages',
          S.AnyObject,
        ),
      },
      errors: [BAD, NOT_FOUND],
    },
  ],
  [`GET ${app}/diff`, { id: 'diffReleases', ok: { 200: S.Plan }, errors: [BAD, NOT_FOUND] }],
  [
    `POST ${app}/rollback`,
    { id: 'rollback', ok: { 202: AP.ReleaseOrApproval }, errors: [BAD, 403, NOT_FOUND, ...BUSY] },
  ],

  [
    `POST ${app}/services/:service/scale`,
    {
      id: 'scaleService',
      // 200: the service already has that count; no revision is made and the running one is the answer.
      ok: { 200: S.Release, 202: S.Release },
      errors: [BAD, NOT_FOUND, ...BUSY],
    },
  ],
  [
    `POST ${app}/services/:service/restart`,
    { id: 'restartService', ok: { 202: S.Release }, errors: [BAD, NOT_FOUND, ...BUSY] },
  ],
  [`POST ${app}/restart`, { id: 'restartApp', ok: { 202: S.Release }, errors: [BAD, NOT_FOUND, ...BUSY] }],
  [
    `POST ${app}/services/:service/promote`,
    { id: 'promote', ok: { 202: S.Release }, errors: [BAD, NOT_FOUND, ...BUSY] },
  ],
  [`POST ${app}/cancel`, { id: 'cancelRelease', ok: { 202: S.Release }, errors: [BAD, NOT_FOUND, ...BUSY] }],
  [`POST ${app}/services/:service/abort`, { id: 'abort', ok: { 202: S.Release }, errors: [BAD, NOT_FOUND, ...BUSY] }],

  [`GET ${app}/policy`, { id: 'getPolicies', ok: { 200: S.Policies }, errors: [BAD, NOT_FOUND] }],
  [
    `PUT ${app}/services/:service/policy`,
    { id: 'setServicePolicy', ok: { 202: S.Release }, errors: [BAD, NOT_FOUND, ...BUSY] },
  ],
  [`PUT ${app}/routes/policy`, { id: 'setRoutePolicy', ok: { 202: S.Release }, errors: [BAD, NOT_FOUND, ...BUSY] }],

  [`GET ${app}/config`, { id: 'getConfig', ok: { 200: S.ConfigView }, errors: [BAD, NOT_FOUND] }],
  [
    `PATCH ${app}/config`,
    { id: 'changeConfig', ok: { 201: S.ConfigVersionInfo, 202: AP.ApprovalRequest }, errors: [BAD, NOT_FOUND, 409] },
  ],
  [
    `POST ${app}/config/revert`,
    { id: 'revertConfig', ok: { 201: S.ConfigVersionInfo, 202: AP.ApprovalRequest }, errors: [BAD, NOT_FOUND, 409] },
  ],
  [
    `GET ${app}/config/history`,
    { id: 'listConfigVersions', ok: { 200: S.ConfigVersionInfo.array() }, errors: [BAD, NOT_FOUND] },
  ],
  [`GET ${app}/config/diff`, { id: 'diffConfig', ok: { 200: S.ConfigDiff }, errors: [BAD, NOT_FOUND] }],
  [`GET ${app}/config/values/:key`, { id: 'getConfigValue', ok: { 200: S.ConfigValue }, errors: [BAD, NOT_FOUND] }],
  [`GET ${app}/config/files/*`, { id: 'getConfigFile', ok: { 200: S.ConfigFile }, errors: [BAD, NOT_FOUND] }],
  [`GET ${app}/variables`, { id: 'getVariables', ok: { 200: S.Variables }, errors: [BAD, NOT_FOUND] }],

  [
    `GET ${app}/logs`,
    {
      id: 'getLogs',
      ok: { 200: stream('application/x-ndjson', 'Log lines, one JSON object per line', S.LogLine) },
      errors: [BAD, NOT_FOUND],
    },
  ],
  [`GET ${app}/logs/search`, { id: 'searchLogs', ok: { 200: S.LogSearchResult }, errors: [BAD, NOT_FOUND, 503] }],
  [
    `GET ${app}/metrics/history`,
    { id: 'getMetricHistory', ok: { 200: M.MetricHistory }, errors: [BAD, NOT_FOUND, 503] },
  ],
  [`GET ${app}/metrics/markers`, { id: 'getReleaseMarkers', ok: { 200: M.ReleaseMarkers }, errors: [BAD, NOT_FOUND] }],

  ['GET /api/v1/environments', { id: 'listEnvironments', ok: { 200: S.Environment.array() }, errors: [] }],
  ['GET /api/v1/environments/:name', { id: 'getEnvironment', ok: { 200: S.Environment }, errors: [BAD, NOT_FOUND] }],
  ['POST /api/v1/environments', { id: 'createEnvironment', ok: { 201: S.Environment }, errors: [BAD, 409] }],
  [
    'PATCH /api/v1/environments/:name',
    { id: 'setEnvironmentEdge', ok: { 200: S.Environment }, errors: [BAD, NOT_FOUND] },
  ],
  [
    'POST /api/v1/environments/:name/copy',
    {
      id: 'copyEnvironment',
      ok: { 200: E.EnvironmentCopy, 201: E.EnvironmentCopy },
      errors: [BAD, NOT_FOUND, 409],
    },
  ],
  [
    'GET /api/v1/environments/:name/config-diff',
    { id: 'diffEnvironmentConfig', ok: { 200: E.EnvironmentConfigDiff }, errors: [BAD, NOT_FOUND] },
  ],
  [
    'DELETE /api/v1/environments/:name',
    {
      id: 'deleteEnvironment',
      ok: { 204: z.null().describe('Deleted: no content') },
      errors: [BAD, NOT_FOUND, 409],
    },
  ],

  [
    'POST /api/v1/render',
    {
      id: 'render',
      ok: {
        200: {
          description: 'The objects (JSON), or with format yaml and Accept: application/yaml the YAML text',
          content: {
            'application/json': { schema: S.Rendered },
            'application/yaml': { schema: z.string() },
          },
        },
      },
      errors: [BAD, NOT_FOUND],
    },
  ],
  ['POST /api/v1/export/helm', { id: 'exportHelm', ok: { 200: S.HelmChart }, errors: [BAD, NOT_FOUND] }],

  ['GET /api/v1/previews', { id: 'listPreviews', ok: { 200: P.PreviewList }, errors: [BAD, 503] }],
  [
    'POST /api/v1/previews',
    { id: 'openPreview', ok: { 200: P.Preview, 201: P.Preview }, errors: [BAD, NOT_FOUND, 409, 503] },
  ],
  ['GET /api/v1/previews/:app/:key', { id: 'getPreview', ok: { 200: P.Preview }, errors: [NOT_FOUND, 503] }],
  [
    'DELETE /api/v1/previews/:app/:key',
    { id: 'closePreview', ok: { 200: P.Preview }, errors: [BAD, NOT_FOUND, 409, 502, 503] },
  ],
  [
    'POST /api/v1/hooks/:provider/:app',
    { id: 'receiveWebhook', ok: { 200: H.HookAnswer, 202: H.HookAnswer }, errors: [BAD, 401, NOT_FOUND, 409, 413] },
  ],
  ['GET /api/v1/hooks/deliveries', { id: 'listWebhookDeliveries', ok: { 200: H.HookDeliveryList }, errors: [BAD] }],
  ['PUT /api/v1/pipelines/:app', { id: 'setPipeline', ok: { 200: PL.PipelineInfo }, errors: [BAD, 503] }],
  ['GET /api/v1/pipelines/:app', { id: 'getPipeline', ok: { 200: PL.PipelineInfo }, errors: [BAD, NOT_FOUND, 503] }],
  [
    'POST /api/v1/pipelines/:app/runs',
    { id: 'startPipelineRun', ok: { 201: PL.PipelineRun }, errors: [BAD, NOT_FOUND, 503] },
  ],
  [
    'GET /api/v1/pipelines/:app/runs',
    { id: 'listPipelineRuns', ok: { 200: PL.PipelineRunList }, errors: [BAD, NOT_FOUND, 503] },
  ],
  [
    'GET /api/v1/pipeline-runs/:id',
    { id: 'getPipelineRun', ok: { 200: PL.PipelineRun }, errors: [BAD, NOT_FOUND, 503] },
  ],
  [
    'POST /api/v1/pipeline-runs/:id/approve',
    { id: 'approvePipelineRun', ok: { 200: PL.PipelineRun }, errors: [BAD, NOT_FOUND, 409, 503] },
  ],
  [
    'POST /api/v1/pipeline-runs/:id/cancel',
    { id: 'cancelPipelineRun', ok: { 200: PL.PipelineRun }, errors: [BAD, NOT_FOUND, 409, 503] },
  ],
  [
    'GET /api/v1/pipeline-runs/:id/steps/:n/log',
    {
      id: 'getPipelineStepLog',
      ok: { 200: text('text/plain', "The step's log; with follow, streamed until the step ends") },
      errors: [BAD, NOT_FOUND, 503],
    },
  ],
  ['POST /api/v1/builds', { id: 'startBuild', ok: { 202: B.BuildStarted }, errors: [BAD, NOT_FOUND, 503] }],
  ['GET /api/v1/builds', { id: 'listBuilds', ok: { 200: B.Build.array() }, errors: [BAD] }],
  ['GET /api/v1/builds/:id', { id: 'getBuild', ok: { 200: B.Build }, errors: [BAD, NOT_FOUND] }],
  ['GET /api/v1/me', { id: 'whoAmI', ok: { 200: ID.Me }, errors: [] }],
  ['POST /api/v1/login', { id: 'logIn', ok: { 201: ID.LoginAnswer }, errors: [BAD, 401, 429] }],
  ['POST /api/v1/session', { id: 'openSession', ok: { 200: ID.SessionAnswer }, errors: [BAD, 401, 429] }],
  ['DELETE /api/v1/session', { id: 'closeSession', ok: { 204: z.null() }, errors: [401] }],
  [
    'GET /api/v1/builds/:id/log',
    {
      id: 'getBuildLog',
      ok: {
        200: stream(
          'application/x-ndjson',
          'The build log, one { line } per line; with follow, until the build ends',
          B.BuildLogLine,
        ),
      },
      errors: [BAD, NOT_FOUND],
    },
  ],
  ['POST /api/v1/users', { id: 'createUser', ok: { 201: U.User }, errors: [BAD, 409] }],
  ['GET /api/v1/users', { id: 'listUsers', ok: { 200: U.UserList }, errors: [] }],
  ['GET /api/v1/users/:name', { id: 'getUser', ok: { 200: U.User }, errors: [BAD, NOT_FOUND] }],
  ['PATCH /api/v1/users/:name', { id: 'changeUser', ok: { 200: U.User }, errors: [BAD, NOT_FOUND] }],
  ['DELETE /api/v1/users/:name', { id: 'deleteUser', ok: { 204: z.null() }, errors: [BAD, NOT_FOUND] }],
  ['POST /api/v1/tokens', { id: 'createToken', ok: { 201: U.IssuedToken }, errors: [BAD] }],
  ['GET /api/v1/tokens', { id: 'listTokens', ok: { 200: U.TokenList }, errors: [BAD] }],
  ['DELETE /api/v1/tokens/:id', { id: 'revokeToken', ok: { 200: U.StoredToken }, errors: [BAD, NOT_FOUND] }],
  ['POST /api/v1/tokens/bootstrap/rotate', { id: 'rotateBootstrapToken', ok: { 200: U.IssuedToken }, errors: [] }],
  ['GET /api/v1/roles', { id: 'listRoles', ok: { 200: U.RoleList }, errors: [] }],
  ['POST /api/v1/roles', { id: 'createRole', ok: { 201: U.Role }, errors: [BAD, 409] }],
  ['DELETE /api/v1/roles/:name', { id: 'deleteRole', ok: { 204: z.null() }, errors: [BAD, NOT_FOUND, 409] }],
  ['GET /api/v1/role-bindings', { id: 'listRoleBindings', ok: { 200: U.RoleBindingList }, errors: [BAD] }],
  ['POST /api/v1/role-bindings', { id: 'bindRole', ok: { 201: U.RoleBinding }, errors: [BAD] }],
  ['DELETE /api/v1/role-bindings/:id', { id: 'unbindRole', ok: { 200: U.RoleBinding }, errors: [BAD, NOT_FOUND] }],
  ['GET /api/v1/sso', { id: 'getSso', ok: { 200: SO.SsoInfo }, errors: [] }],
  ['GET /api/v1/sso/login', { id: 'startSsoLogin', ok: { 302: SO.Redirect }, errors: [BAD] }],
  ['GET /api/v1/sso/callback', { id: 'finishSsoLogin', ok: { 302: SO.Redirect }, errors: [BAD] }],
  ['POST /api/v1/sso/cli', { id: 'startCliSsoLogin', ok: { 200: SO.SsoCliStart }, errors: [BAD, 429, 503] }],
  [
    'POST /api/v1/sso/cli/exchange',
    { id: 'exchangeCliSsoCode', ok: { 201: SO.SsoCliToken }, errors: [BAD, 401, 429, 503] },
  ],
  [
    'GET /api/v1/audit',
    {
      id: 'listAuditEntries',
      ok: {
        200: {
          description: 'A page of entries (JSON), or with format=jsonl every matching entry as JSON lines',
          content: {
            'application/json': { schema: AU.AuditPage },
            'application/x-ndjson': { schema: AU.AuditEntry },
          },
        },
      },
      errors: [BAD],
    },
  ],
  ['GET /api/v1/audit/verify', { id: 'verifyAuditLog', ok: { 200: AU.AuditVerification }, errors: [] }],
  ['POST /api/v1/approvals', { id: 'askApproval', ok: { 201: AP.ApprovalRequest }, errors: [BAD, NOT_FOUND] }],
  ['GET /api/v1/approvals', { id: 'listApprovals', ok: { 200: AP.ApprovalList }, errors: [BAD] }],
  ['GET /api/v1/approvals/:id', { id: 'getApproval', ok: { 200: AP.ApprovalRequest }, errors: [BAD, NOT_FOUND] }],
  [
    'POST /api/v1/approvals/:id/approve',
    { id: 'approve', ok: { 200: AP.ApprovalRequest }, errors: [BAD, NOT_FOUND, 409] },
  ],
  [
    'POST /api/v1/approvals/:id/reject',
    { id: 'reject', ok: { 200: AP.ApprovalRequest }, errors: [BAD, NOT_FOUND, 409] },
  ],
  [
    'POST /api/v1/approvals/:id/withdraw',
    { id: 'withdrawApproval', ok: { 200: AP.ApprovalRequest }, errors: [BAD, NOT_FOUND, 409] },
  ],
]);

/**
 * onRoute hook: gives a route its operationId and responses from OPERATIONS. Routes hidden from the
 * document (the console, the document itself) and HEAD twins are left alone; a route missing from
 * the table keeps no operationId, which the contract test reports by name. `publicUrls` are the
 * routes the token check lets through (app.ts): they answer no 401.
 */
export function describeOperation(route: RouteOptions, publicUrls: ReadonlySet<string>): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (methods.includes('HEAD') || (route.schema as { hide?: boolean } | undefined)?.hide) return;
  const key = `${methods[0]} ${route.url}`;
  const op = OPERATIONS.get(key);
  if (!op) return;
  const response: Record<number, unknown> = { ...op.ok };
  // Every route that needs an identity answers 401 without one and 403 to one that may not (routePermissions.ts).
  for (const status of [...(publicUrls.has(route.url) ? [] : [401, 403]), ...op.errors]) response[status] = S.ErrorBody;
  route.schema = { ...route.schema, operationId: op.id, response };
}
