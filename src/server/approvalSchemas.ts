/** What the approval routes answer, for the OpenAPI document (openapi.ts, alias `AP`). */
import { z } from 'zod';
import { Release } from './responseSchemas.js';
import { APPROVAL_ACTIONS, APPROVAL_STATES } from '../model/approvals.js';

export const ApprovalAction = z
  .enum(APPROVAL_ACTIONS)
  .describe('deploy, promote, rollback, config (a config change) or config-revert');

export const ApprovalState = z
  .enum(APPROVAL_STATES)
  .describe('pending → approved → running → done | failed; rejected, expired, withdrawn end a pending one');

export const ApprovalVote = z.object({
  name: z.string(),
  at: z.string(),
  comment: z.string().nullable(),
});

export const ApprovalRequest = z
  .object({
    kind: z.literal('approval').describe('Tells an approval request from a release in a 202 answer'),
    id: z.number().int(),
    action: ApprovalAction,
    app: z.string(),
    env: z.string().describe('Where the operation acts (a promotion: its `to`)'),
    request: z
      .record(z.string(), z.unknown())
      .describe("The operation's body as asked (a config change's values masked, with its diff)"),
    author: z.string().describe('Who asked: the operation runs as this user'),
    reason: z.string().nullable(),
    required: z.number().int().describe('How many approvals by others it needs'),
    state: ApprovalState,
    approvals: z.array(ApprovalVote),
    createdAt: z.string(),
    expiresAt: z.string(),
    updatedAt: z.string(),
    endedBy: z.string().nullable().describe('Who rejected or withdrew it'),
    endReason: z.string().nullable(),
    result: z
      .object({ revision: z.number().int().optional(), configVersion: z.number().int().optional() })
      .nullable()
      .describe('What it started: the release revision or the config version'),
    error: z.string().nullable().describe('Why running it failed'),
  })
  .meta({ id: 'ApprovalRequest', description: 'An operation waiting for approvals, or one that did' });

export const ApprovalList = z.array(ApprovalRequest);

/** A direct operation's 202: its release, or — into an environment that needs approvals — the approval request. */
export const ReleaseOrApproval = z
  .union([Release, ApprovalRequest])
  .describe(
    'The release started, or the approval request recorded (`kind: "approval"`) when the environment needs approvals',
  );
