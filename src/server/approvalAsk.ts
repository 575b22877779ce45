/**
 * How an operation becomes an approval request (docs/access.md, Approvals): into an environment that
 * needs approvals, the direct routes (deploy, rollback, promotion, config change and revert) record
 * one here and answer 202 with it instead of running; `POST /api/v1/approvals` records one explicitly.
 * What is shown of the request masks a config change's values (its diff, secrets masked, says what
 * changes); the request itself is stored encrypted.
 */
import type { FastifyRequest } from 'fastify';
import type { ServerContext } from './context.js';
import { authorOf } from './identity.js';
import { approvalsRequired } from '../environment/protection.js';
import { MASK } from '../model/mask.js';
import type { ApprovalAction, ApprovalRequest } from '../model/approvals.js';
import { configChangeOf } from './routes/api.js';

/** What is asked for. */
export interface Ask {
  action: ApprovalAction;
  app: string;
  env: string;
  /** The operation's body as its route parsed it (without `wait` and `confirmed`). */
  request: Record<string, unknown>;
  reason?: string | undefined;
  /** How many approvals; the environment's count when absent. */
  required?: number;
  ttlMs?: number | undefined;
}

/** How many approvals an operation into `env` waits for (0: it runs at once). */
export async function approvalsOf(ctx: ServerContext, env: string): Promise<number> {
  return approvalsRequired(await ctx.environments.get(env));
}

const masked = (m: Record<string, unknown> | undefined) =>
  m ? Object.fromEntries(Object.keys(m).map((k) => [k, MASK])) : undefined;

/** What is shown of a request: a config change's values masked, with its diff against the current version. */
async function shownOf(ctx: ServerContext, a: Ask): Promise<Record<string, unknown>> {
  const { wait: _w, confirmed: _c, ...rest } = a.request;
  if (a.action !== 'config') return rest;
  const change = configChangeOf(rest as Parameters<typeof configChangeOf>[0]);
  const diff = await ctx.configSets
    .preview(a.app, a.env, change as Parameters<ServerContext['configSets']['preview']>[2])
    .then((p) => p.diff)
    .catch(() => undefined);
  return {
    ...rest,
    ...(rest['set'] ? { set: masked(rest['set'] as Record<string, unknown>) } : {}),
    ...(rest['files'] ? { files: masked(rest['files'] as Record<string, unknown>) } : {}),
    ...(rest['secretFiles'] ? { secretFiles: masked(rest['secretFiles'] as Record<string, unknown>) } : {}),
    ...(rest['plainFiles'] ? { plainFiles: masked(rest['plainFiles'] as Record<string, unknown>) } : {}),
    ...(diff ? { diff } : {}),
  };
}

/** Records `a` as an approval request by the caller of `req`. */
export async function askFor(req: FastifyRequest, ctx: ServerContext, a: Ask): Promise<ApprovalRequest> {
  const { wait: _w, confirmed: _c, ...request } = a.request;
  const required = a.required ?? (await approvalsOf(ctx, a.env));
  const created = await ctx.approvals.create({
    action: a.action,
    app: a.app,
    env: a.env,
    request,
    shown: await shownOf(ctx, a),
    author: authorOf(req),
    reason: a.reason ?? null,
    required,
    ...(a.ttlMs === undefined ? {} : { ttlMs: a.ttlMs }),
  });
  ctx.logger.info(
    { id: created.id, action: a.action, app: a.app, env: a.env, author: created.author, required },
    'approval requested',
  );
  return created;
}
