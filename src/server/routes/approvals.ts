/**
 * Approval requests (docs/access.md, Approvals): ask for an operation, list and show requests,
 * approve, reject, withdraw. Whoever approves must hold `approvals:approve` in the request's app and
 * environment (the route's rule) and the permission the operation itself needs there (checked here);
 * its author may not approve it. The state machine is src/approvals/approvals.ts's.
 */
import { visibleTo } from '../visibility.js';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { principalOf } from '../identity.js';
import { askFor } from '../approvalAsk.js';
import { checkedRequest } from '../approvalWiring.js';
import { ApprovalAction, ApprovalState } from '../approvalSchemas.js';
import { permissionOfAction } from '../../model/approvals.js';
import { approvalsRequired } from '../../environment/protection.js';
import { parseExpiry } from '../expiry.js';
import { ValidationError } from '../../errors.js';

const MAX_TTL_MS = 30 * 24 * 3600_000;

export const AskBody = z.strictObject({
  action: ApprovalAction,
  app: z.string().min(1).max(63).describe('The app the operation acts on'),
  env: z.string().min(1).describe('The environment it acts in (a promotion: its `to`)'),
  request: z
    .record(z.string(), z.unknown())
    .describe("The operation's own body (as its route takes it: a deploy's spec, a config change, …)"),
  reason: z.string().min(1).max(500).describe('Why it is asked for'),
  expiresIn: z.string().max(16).optional().describe('How long it waits for approvals (default 24h, at most 30d)'),
});

const IdParams = z.object({ id: z.coerce.number().int().positive() });

function ttlOf(expiresIn: string | undefined): number | undefined {
  if (expiresIn === undefined) return undefined;
  const ms = parseExpiry(expiresIn);
  if (ms === undefined || ms > MAX_TTL_MS)
    throw new ValidationError('invalid expiresIn', [
      {
        file: 'request body',
        path: 'expiresIn',
        message: `${JSON.stringify(expiresIn)} is not a duration of at most 30d (e.g. 24h, 2d)`,
      },
    ]);
  return ms;
}

export function approvalRoutes(api: Api, ctx: ServerContext): void {
  api.post(
    '/api/v1/approvals',
    {
      schema: {
        summary:
          'Ask for an operation (deploy, promote, rollback, config change or revert) to run once approved by others',
        tags: ['approvals'],
        body: AskBody,
      },
    },
    async (req, reply) => {
      const b = req.body;
      const ttlMs = ttlOf(b.expiresIn);
      const request = await checkedRequest(ctx, b.action, b.app, b.env, b.request);
      const needed = approvalsRequired(await ctx.environments.get(b.env));
      const created = await askFor(req, ctx, {
        action: b.action,
        app: b.app,
        env: b.env,
        request,
        reason: b.reason,
        required: Math.max(1, needed),
        ttlMs,
      });
      return reply.status(201).send(created);
    },
  );

  api.get(
    '/api/v1/approvals',
    {
      schema: {
        summary: 'Approval requests, newest first',
        tags: ['approvals'],
        querystring: z.object({
          state: ApprovalState.optional(),
          app: z.string().min(1).optional(),
          env: z.string().min(1).optional(),
          limit: z.coerce.number().int().positive().max(1000).default(200),
        }),
      },
    },
    async (req) => {
      const visible = await visibleTo(req, ctx, 'approvals:request');
      return (await ctx.approvals.list(req.query)).filter((a) => visible({ app: a.app, env: a.env }));
    },
  );

  api.get(
    '/api/v1/approvals/:id',
    { schema: { summary: 'One approval request', tags: ['approvals'], params: IdParams } },
    async (req) => ctx.approvals.get(req.params.id),
  );

  api.post(
    '/api/v1/approvals/:id/approve',
    {
      schema: {
        summary: 'Approve a request: once it has enough approvals it runs, as its author',
        tags: ['approvals'],
        params: IdParams,
        body: z.strictObject({ comment: z.string().max(500).optional() }).default({}),
      },
    },
    async (req) => {
      const a = await ctx.approvals.get(req.params.id);
      const p = principalOf(req);
      await ctx.access.authorizer.require(p, permissionOfAction(a.action), { app: a.app, env: a.env }, 'exact');
      return ctx.approvals.approve(a.id, p.name, req.body.comment);
    },
  );

  api.post(
    '/api/v1/approvals/:id/reject',
    {
      schema: {
        summary: 'Reject a request: it ends, and does not run',
        tags: ['approvals'],
        params: IdParams,
        body: z.strictObject({ reason: z.string().min(1).max(500).describe('Why') }),
      },
    },
    async (req) => {
      const a = await ctx.approvals.get(req.params.id);
      const p = principalOf(req);
      await ctx.access.authorizer.require(p, permissionOfAction(a.action), { app: a.app, env: a.env }, 'exact');
      return ctx.approvals.reject(a.id, p.name, req.body.reason);
    },
  );

  api.post(
    '/api/v1/approvals/:id/withdraw',
    {
      schema: { summary: 'Withdraw a request one asked for', tags: ['approvals'], params: IdParams },
    },
    async (req) => ctx.approvals.withdraw(req.params.id, principalOf(req).name),
  );
}
