/**
 * The HTTP API: fastify with zod-validated requests, a token on every route but the health check,
 * errors mapped to status codes in one place (errors.ts), and the OpenAPI document it serves.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import cookie from '@fastify/cookie';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { describeOperation } from './openapi.js';
import {
  BerthError,
  TooLargeError,
  UnauthorizedError,
  ValidationError,
  httpStatusOf,
  toBerthError,
} from '../errors.js';
import type { ServerContext } from './context.js';
import { appRoutes } from './routes/apps.js';
import { volumeRoutes } from './routes/volumes.js';
import { releaseRoutes } from './routes/releases.js';
import { buildRoutes } from './routes/builds.js';
import { configRoutes } from './routes/config.js';
import { environmentRoutes } from './routes/environments.js';
import { previewRoutes } from './routes/previews.js';
import { logRoutes } from './routes/logs.js';
import { logSearchRoutes } from './routes/logSearch.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { alertRoutes } from './routes/alerts.js';
import { systemRoutes } from './routes/system.js';
import { renderRoutes } from './routes/render.js';
import { operateRoutes } from './routes/operate.js';
import { progressiveRoutes } from './routes/progressive.js';
import { metricsRoutes } from './routes/metrics.js';
import { policyRoutes } from './routes/policy.js';
import { liveRoutes } from './routes/live.js';
import { autoscaleRoutes } from './routes/autoscale.js';
import { jobRoutes } from './routes/jobs.js';
import { traceRoutes } from './routes/traces.js';
import { callGraphRoutes } from './routes/callGraph.js';
import { metricsHistoryRoutes } from './routes/metricsHistory.js';
import { consoleRoutes } from './routes/console.js';
import { HOOK_URL, hookRoutes } from './routes/hooks.js';
import { promotionRoutes } from './routes/promotions.js';
import { identityRoutes } from './routes/identity.js';
import { SIGN_IN_URLS, sessionRoutes } from './routes/session.js';
import { userRoutes } from './routes/users.js';
import { SSO_URLS, ssoRoutes } from './routes/sso.js';
import { approvalRoutes } from './routes/approvals.js';
import { assertChecked, checkRoute, ruleOf } from './routePermissions.js';
import { authenticate } from './authenticate.js';
import { auditCall } from './auditCall.js';
import { auditRoutes } from './routes/audit.js';

/** Routes without a Berth identity: the health check, webhooks (their signature is their identity), signing in. */
const PUBLIC = new Set<string>(['/healthz', HOOK_URL, ...SIGN_IN_URLS, ...SSO_URLS]);

/** The largest request body (a berth.yaml is at most 1 MiB of it, checked by the loader). */
const BODY_LIMIT_BYTES = 5 * 1024 * 1024;

/** A URL whose percent-encoding does not decode (`/%E0`, a path parameter such as `%C0%80`): the client's fault. */
function badUrl(url: string): ValidationError {
  const message = `the URL ${JSON.stringify(url)} is not validly percent-encoded (UTF-8)`;
  return new ValidationError('malformed URL', [{ file: 'request URL', path: '', message }]);
}

function toError(err: FastifyError | Error, url: string): BerthError {
  if (err instanceof URIError || (err as FastifyError).code === 'FST_ERR_BAD_URL') return badUrl(url);
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as { validationContext?: string }).validationContext ?? 'request';
    return new ValidationError(
      `invalid ${where}`,
      err.validation.map((v) => ({
        file: `request ${where}`,
        path: v.instancePath.replace(/^\//, '').replaceAll('/', '.'),
        message: v.message ?? 'invalid',
      })),
    );
  }
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new TooLargeError(`the request body is larger than the API takes (${BODY_LIMIT_BYTES / 1024 / 1024} MiB)`);
  if (fe.statusCode && fe.statusCode < 500 && !(err instanceof BerthError)) {
    // fastify's own client errors (malformed JSON, body too large, wrong content type)
    return new ValidationError(fe.message, [{ file: 'request body', path: '', message: fe.message }]);
  }
  return toBerthError(err);
}

/** Refuses (at start) a route that needs an identity but says no permission (routePermissions.ts). */
function requireRule(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (PUBLIC.has(route.url)) return;
  for (const m of methods) {
    if (m === 'HEAD') continue;
    if (!ruleOf(m, route.url))
      throw new Error(`route ${m} ${route.url} has no permission rule in src/server/routePermissions.ts`);
  }
}

export async function buildApi(ctx: ServerContext): Promise<FastifyInstance> {
  // On close, open streams (status, logs and release events followed by browsers and CLIs) are cut
  // rather than waited for: they never end by themselves, and clients reconnect.
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    forceCloseConnections: true,
    // Errors of fastify's own routing (a path that does not decode): the same quiet 400 as a handler's URIError.
    frameworkErrors: (err, req, reply) => {
      const e = toError(err, req.url);
      ctx.logger.debug({ url: req.url, code: e.code, message: e.message }, 'request refused');
      void (reply as FastifyReply).status(httpStatusOf(e)).send(e.toJSON());
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas (openapi.ts) document the answers; they do not filter or re-check them on the
  // way out (a field the document does not list yet must not turn an answer into a 500).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Berth API',
        version: ctx.version,
        description: 'Control plane of Berth: apps, releases, config sets, environments, logs.',
      },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
      security: [{ token: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  app.addHook('onRoute', (route) => {
    describeOperation(route, PUBLIC);
    requireRule(route);
  });
  await app.register(cookie);

  app.decorateRequest('identity', null);
  app.decorateRequest('authorized', false);
  app.decorateRequest('consoleSession', null);
  // Who calls (a bearer token, or a console session whose changes carry its CSRF token), before routing's
  // validation so a caller without identity learns nothing about the API's shape.
  app.addHook('onRequest', async (req) => {
    if (PUBLIC.has(req.routeOptions.url ?? '')) return;
    const identity = await authenticate(req, ctx.access);
    if (!identity) throw new UnauthorizedError();
    req.identity = identity;
  });
  // What it may do: every operation's rule (routePermissions.ts), once body and query are parsed and before they
  // are validated, so a caller without the permission learns nothing of the operation's shapes.
  app.addHook('preValidation', async (req) => {
    const url = req.routeOptions.url;
    if (!req.identity || !url) return;
    const rule = ruleOf(req.method === 'HEAD' ? 'GET' : req.method, url);
    if (!rule) throw new UnauthorizedError(); // unreachable: requireRule refuses such a route at start
    await checkRoute(req, ctx, rule);
  });
  app.addHook('onSend', async (req, reply) => assertChecked(req, reply));
  // The audit log takes every change (refused ones too) before its answer goes out (src/server/auditCall.ts).
  app.decorateRequest('accessScope', null);
  app.decorateRequest('audited', false);
  app.addHook('onSend', async (req, reply, payload) => {
    await auditCall(req, reply, payload, ctx);
    return payload;
  });
  // A call that changes nothing is recorded after its answer: closing waits for those appends.
  app.addHook('onClose', async () => ctx.audit.settled());

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const e = toError(err, req.url);
    const status = httpStatusOf(e);
    // A client's mistake is logged at debug, without a stack: anyone can send them, and the log is not theirs to fill.
    if (status >= 500) ctx.logger.error({ err, url: req.url }, 'request failed');
    else ctx.logger.debug({ url: req.url, status, code: e.code, message: e.message }, 'request refused');
    // A refusal for too many attempts says when to try again (RFC 9110 Retry-After), whichever route limited it.
    const retry = e.details?.['retryAfterSeconds'];
    if (status === 429 && typeof retry === 'number') void reply.header('retry-after', String(retry));
    void reply.status(status).send(e.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  const typed = app.withTypeProvider<ZodTypeProvider>();
  systemRoutes(typed, ctx);
  appRoutes(typed, ctx);
  volumeRoutes(typed, ctx);
  releaseRoutes(typed, ctx);
  promotionRoutes(typed, ctx);
  configRoutes(typed, ctx);
  environmentRoutes(typed, ctx);
  logRoutes(typed, ctx);
  logSearchRoutes(typed, ctx);
  renderRoutes(typed, ctx);
  operateRoutes(typed, ctx);
  progressiveRoutes(typed, ctx);
  metricsRoutes(typed, ctx);
  policyRoutes(typed, ctx);
  liveRoutes(typed, ctx);
  autoscaleRoutes(typed, ctx);
  jobRoutes(typed, ctx);
  traceRoutes(typed, ctx);
  callGraphRoutes(typed, ctx);
  metricsHistoryRoutes(typed, ctx);
  alertRoutes(typed, ctx);
  previewRoutes(typed, ctx);
  hookRoutes(typed, ctx);
  pipelineRoutes(typed, ctx);
  buildRoutes(typed, ctx);
  identityRoutes(typed, ctx);
  sessionRoutes(typed, ctx);
  userRoutes(typed, ctx);
  ssoRoutes(typed, ctx);
  auditRoutes(typed, ctx);
  approvalRoutes(typed, ctx);
  typed.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await consoleRoutes(app, PUBLIC);
  return app;
}
