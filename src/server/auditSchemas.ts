/** What the audit log's routes answer, for the OpenAPI document (openapi.ts, alias `AU`). */
import { z } from 'zod';

export const AuditEntry = z
  .object({
    seq: z.number().int().describe('Position in the chain, from 1'),
    time: z.string().describe('ISO-8601 UTC'),
    actor: z
      .object({
        name: z.string(),
        kind: z.enum(['user', 'service', 'anonymous', 'webhook', 'system']),
        credential: z.string().optional().describe("The token's or session's id (never a secret)"),
        onBehalfOf: z.string().optional().describe('For the control plane acting for someone: who'),
      })
      .loose(),
    address: z.string().optional().describe("The caller's address"),
    operation: z.object({ id: z.string().describe('The OpenAPI operationId'), method: z.string(), route: z.string() }),
    target: z
      .object({
        app: z.string().optional(),
        env: z.string().optional(),
        object: z
          .record(z.string(), z.string())
          .optional()
          .describe('The object named: a user, a token id, a service…'),
      })
      .loose(),
    outcome: z.object({
      kind: z.enum(['ok', 'refused', 'failed']),
      status: z.number().int(),
      code: z.string().optional(),
      message: z.string().optional().describe("A refusal's or failure's message"),
    }),
    summary: z.unknown().optional().describe('The request body, secrets masked, passwords and tokens left out'),
    prevHash: z.string(),
    hash: z.string().describe('sha256(prevHash + canonical JSON of the entry)'),
  })
  .loose()
  .meta({ id: 'AuditEntry', description: 'One recorded call' });

export const AuditPage = z
  .object({
    entries: z.array(AuditEntry),
    nextCursor: z.number().int().optional().describe('Give as cursor for the older entries'),
  })
  .meta({ id: 'AuditPage', description: 'Audit entries, newest first' });

export const AuditVerification = z
  .object({
    ok: z.boolean(),
    entries: z.number().int(),
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable().describe('<home>/audit.head'),
    firstBad: z
      .object({
        seq: z.number().int(),
        reason: z.enum(['edited', 'missing', 'reordered', 'head-mismatch']),
        detail: z.string(),
      })
      .optional(),
  })
  .meta({ id: 'AuditVerification', description: 'Whether the chain and its head are intact, else the first break' });
