/**
 * What the server records in the audit log of every call that may change something (POST, PUT, PATCH,
 * DELETE), refused ones too (docs/access.md "Audit log"): an onSend hook (app.ts) awaits the append
 * before the answer goes out, so nothing acknowledged goes unrecorded; an append that fails turns the
 * answer into a 500. Reads are not recorded; a POST that changes nothing (a render, a plan) is recorded
 * beside its answer, not before it.
 *
 * The actor is the verified caller (never a name the body gives); a sign-in names the user it signed in
 * (or anonymous when refused); a webhook delivery `webhook:<provider>`. The target is the scope the
 * permission was checked in (routePermissions.ts), else the URL's, and the object the URL or body names.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hash } from 'node:crypto';
import type { Scope } from '../model/access.js';
import type { AuditActor, AuditOutcome, AuditRecord, AuditTarget } from '../model/audit.js';
import { InternalError } from '../errors.js';
import { summarize, type SummaryContext } from '../audit/summary.js';
import type { ServerContext } from './context.js';
import { OPERATIONS } from './openapi.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The scope the call's permission was checked in (routePermissions.ts), for the audit log's target. */
    accessScope: Scope | null;
    /** Whether the audit log has taken this call (once: a failed append's 500 is not recorded again). */
    audited: boolean;
  }
}

/** The methods recorded: every call that may change something. */
const RECORDED = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const SIGN_INS = new Set(['logIn', 'openSession']);

/**
 * POSTs that change nothing (a berth.yaml is too large for a URL): a validation, a plan, a render, a Helm
 * export, a promotion's preview. They are recorded like any other, but after their answer: they
 * acknowledge no change, so their answer does not wait for the append and its two fsyncs (1.5–11 ms of
 * every `berth render`, docs/benchmarks.md "render"), and an append that fails is logged, not answered 500.
 */
const CHANGE_NOTHING = new Set(['validateSpec', 'plan', 'render', 'exportHelm', 'previewPromotion']);

/** Body fields that name the object an operation acts on (a user, a group, a role…). */
const NAMING_FIELDS = ['name', 'user', 'group', 'role', 'service', 'key'] as const;

type Fields = Record<string, unknown>;
const isFields = (v: unknown): v is Fields => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function parsed(payload: unknown): Fields | undefined {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return undefined;
  try {
    const v = JSON.parse(payload.toString()) as unknown;
    return isFields(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function actorOf(req: FastifyRequest, opId: string, ok: boolean, answer: Fields | undefined): AuditActor {
  if (req.identity) {
    const p = req.identity;
    return { name: p.name, kind: p.kind === 'service' ? 'service' : 'user', credential: p.credentialId };
  }
  const params = isFields(req.params) ? req.params : {};
  if (opId === 'receiveWebhook') return { name: `webhook:${str(params['provider']) ?? 'unknown'}`, kind: 'webhook' };
  if (SIGN_INS.has(opId) && ok) {
    const body = isFields(req.body) ? req.body : {};
    const name = str(answer?.['user']) ?? str(answer?.['name']) ?? str(body['user']) ?? 'unknown';
    const id = answer?.['id'];
    // As a principal names its token (`token:<id>`): the personal token the sign-in issued.
    const credential = typeof id === 'number' || typeof id === 'string' ? `token:${id}` : undefined;
    return { name, kind: 'user', ...(credential ? { credential } : {}) };
  }
  return { name: 'anonymous', kind: 'anonymous' };
}

function targetOf(req: FastifyRequest, route: string): AuditTarget {
  const params: Fields = isFields(req.params) ? req.params : {};
  const body: Fields = isFields(req.body) ? req.body : {};
  const scope = req.accessScope ?? {};
  const envRoute = route.startsWith('/api/v1/environments');
  const app = scope.app ?? str(params['app']);
  const env = scope.env ?? str(params['env']) ?? (envRoute ? str(params['name']) : undefined);
  const object: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (k === 'app' || k === 'env' || (envRoute && k === 'name')) continue;
    const s = typeof v === 'number' ? String(v) : str(v);
    if (s !== undefined) object[k === '*' ? 'path' : k] = s;
  }
  // A body that names what it creates or binds (a user, a token's name, a role binding's subject and role).
  for (const k of NAMING_FIELDS) {
    const s = str(body[k]);
    if (s !== undefined && !Object.hasOwn(object, k) && !(envRoute && k === 'name')) object[k] = s;
  }
  return {
    ...(app ? { app } : {}),
    ...(env ? { env } : {}),
    ...(Object.keys(object).length > 0 ? { object } : {}),
  };
}

function outcomeOf(status: number, answer: Fields | undefined): AuditOutcome {
  const kind = status >= 500 ? 'failed' : status >= 400 ? 'refused' : 'ok';
  const code = status >= 400 ? str(answer?.['code']) : undefined;
  const message = status >= 400 ? str(answer?.['message']) : undefined;
  return { kind, status, ...(code ? { code } : {}), ...(message ? { message } : {}) };
}

/** The config keys and files that are secret in the target (undefined when unknown: everything is masked). */
async function secretsOf(ctx: ServerContext, target: AuditTarget): Promise<SummaryContext> {
  if (!target.app || !target.env) return {};
  try {
    const view = await ctx.configSets.get(target.app, target.env);
    const keys = Object.entries(view.values).filter(([, v]) => v.secret);
    const files = Object.entries(view.files).filter(([, f]) => f.secret);
    return { secretKeys: new Set(keys.map(([k]) => k)), secretFiles: new Set(files.map(([k]) => k)) };
  } catch {
    return {};
  }
}

const CONFIG_OPS = new Set(['changeConfig', 'plan']);

/** A webhook delivery's body is the git host's: its event, delivery id, size and digest. */
function webhookSummary(req: FastifyRequest): Fields {
  const h = req.headers;
  const one = (...names: string[]): string | undefined =>
    names.map((n) => h[n]).find((v): v is string => typeof v === 'string');
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const event = one('x-github-event', 'x-gitlab-event', 'x-gitea-event', 'x-forgejo-event');
  const delivery = one('x-github-delivery', 'x-gitea-delivery', 'x-forgejo-delivery', 'x-gitlab-event-uuid');
  return {
    ...(event ? { event } : {}),
    ...(delivery ? { delivery } : {}),
    size: body.length,
    sha256: hash('sha256', body),
  };
}

/** The call's route and operation id (`unknownRoute` for a call to no route). */
function operationOf(req: FastifyRequest): { route: string; opId: string } {
  const route = req.routeOptions.url ?? req.url.split('?')[0] ?? req.url;
  const known = req.routeOptions.url !== undefined && OPERATIONS.has(`${req.method} ${route}`);
  return { route, opId: known ? OPERATIONS.get(`${req.method} ${route}`)!.id : 'unknownRoute' };
}

/** The record of a call, or undefined for one that is not recorded (a read). */
export async function recordOf(
  req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  ctx: ServerContext,
): Promise<Omit<AuditRecord, 'time'> | undefined> {
  if (!RECORDED.has(req.method)) return undefined;
  const { route, opId } = operationOf(req);
  const status = reply.statusCode;
  const answer = status >= 400 || SIGN_INS.has(opId) ? parsed(payload) : undefined;
  const target = targetOf(req, route);
  const summary =
    opId === 'receiveWebhook'
      ? webhookSummary(req)
      : summarize(opId, req.body, CONFIG_OPS.has(opId) ? await secretsOf(ctx, target) : {});
  return {
    actor: actorOf(req, opId, status < 400, answer),
    address: req.ip,
    operation: { id: opId, method: req.method, route },
    target,
    outcome: outcomeOf(status, answer),
    ...(summary === undefined ? {} : { summary }),
  };
}

/**
 * The onSend hook: records the call before its answer goes out; a failed append answers 500 (and is
 * logged). A call that changes nothing (CHANGE_NOTHING) is recorded beside its answer instead.
 */
export async function auditCall(
  req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  ctx: ServerContext,
): Promise<void> {
  if (req.audited) return;
  req.audited = true;
  const record = async (): Promise<void> => {
    const r = await recordOf(req, reply, payload, ctx);
    if (r) await ctx.audit.append(r);
  };
  const failed = (err: unknown): void =>
    ctx.logger.error({ err, method: req.method, url: req.routeOptions.url }, 'audit log append failed');
  if (RECORDED.has(req.method) && CHANGE_NOTHING.has(operationOf(req).opId)) {
    // Recorded after the answer; the server's close waits for it (app.ts, AuditLog.settled).
    record().catch(failed);
    return;
  }
  try {
    await record();
  } catch (err) {
    failed(err);
    throw new InternalError('the call could not be recorded in the audit log; it was not acknowledged');
  }
}
