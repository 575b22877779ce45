/**
 * The audit log (docs/access.md "Audit log"): `GET /api/v1/audit` (filtered, newest first, paged by
 * cursor; `format=jsonl` streams every matching entry oldest first, for export) and
 * `GET /api/v1/audit/verify` (the chain and its head checked). Both need audit:read on `*`.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { AUDIT_OUTCOMES, type AuditOutcomeKind } from '../../model/audit.js';
import type { AuditFilter } from '../../audit/auditLog.js';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { timeRangeOf } from './timeRange.js';

const OUTCOMES = new RegExp(`^(${AUDIT_OUTCOMES.join('|')})(,(${AUDIT_OUTCOMES.join('|')}))*$`);

const AuditQuery = z.object({
  actor: z.string().min(1).optional().describe('Who acted (a user, a service account, webhook:github, anonymous)'),
  app: z.string().min(1).optional(),
  env: z.string().min(1).optional(),
  operation: z.string().min(1).optional().describe('An OpenAPI operationId (deploy, changeConfig…)'),
  outcome: z
    .string()
    .regex(OUTCOMES, 'ok, refused or failed, or several separated by commas')
    .optional()
    .describe('ok (2xx/3xx), refused (4xx), failed (5xx); several separated by commas (refused,failed)'),
  since: z.string().optional().describe('ISO 8601, or a duration ago (15m, 1h, 2d)'),
  until: z.string().optional().describe('ISO 8601, or a duration ago'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.coerce.number().int().min(1).optional().describe('The nextCursor of the page before'),
  format: z
    .enum(['json', 'jsonl'])
    .default('json')
    .describe('jsonl: every matching entry, oldest first, as JSON lines'),
});

function filterOf(q: z.infer<typeof AuditQuery>): AuditFilter {
  const range = timeRangeOf(q, Date.now());
  if (range.problems.length > 0) throw new ValidationError('invalid time range', range.problems);
  return {
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.app ? { app: q.app } : {}),
    ...(q.env ? { env: q.env } : {}),
    ...(q.operation ? { operation: q.operation } : {}),
    ...(q.outcome ? { outcome: q.outcome.split(',') as AuditOutcomeKind[] } : {}),
    ...(range.sinceMs !== undefined ? { sinceMs: range.sinceMs } : {}),
    ...(range.untilMs !== undefined ? { untilMs: range.untilMs } : {}),
  };
}

export function auditRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/audit',
    {
      schema: {
        summary: 'The audit log: every recorded change, refused ones too, newest first (or all as JSON lines)',
        tags: ['access'],
        querystring: AuditQuery,
      },
    },
    async (req, reply) => {
      const filter = filterOf(req.query);
      if (req.query.format === 'jsonl') {
        const lines = (function* () {
          for (const e of ctx.audit.entries(filter)) yield `${JSON.stringify(e)}\n`;
        })();
        return reply.type('application/x-ndjson').header('cache-control', 'no-store').send(Readable.from(lines));
      }
      return ctx.audit.query(filter, req.query.limit, req.query.cursor);
    },
  );

  api.get(
    '/api/v1/audit/verify',
    {
      schema: {
        summary: "Checks the audit log's hash chain and its head: intact, or the first entry edited, missing or moved",
        tags: ['access'],
      },
    },
    async () => ctx.audit.verify(),
  );
}
