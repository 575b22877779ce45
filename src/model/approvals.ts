/**
 * Approval requests (docs/access.md, Approvals): an operation into an environment that needs approvals
 * (or one its author may not do and asked for) waits, recorded with who asked and why, until enough
 * people other than its author approved it; then the control plane runs it as its author.
 */

/** What an approval request runs once approved. */
export const APPROVAL_ACTIONS = ['deploy', 'promote', 'rollback', 'config', 'config-revert'] as const;
export type ApprovalAction = (typeof APPROVAL_ACTIONS)[number];

/**
 * pending → approved → running → done | failed; a pending one may end rejected, expired or withdrawn.
 * `done`: the operation was started and recorded (the release's revision, the config version).
 */
export const APPROVAL_STATES = [
  'pending',
  'approved',
  'running',
  'done',
  'failed',
  'rejected',
  'expired',
  'withdrawn',
] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

/** The states an approval request no longer leaves. */
export const FINAL_APPROVAL_STATES: readonly ApprovalState[] = ['done', 'failed', 'rejected', 'expired', 'withdrawn'];

/** The permission an action needs of its author, and of each approver. */
export function permissionOfAction(action: ApprovalAction): 'apps:deploy' | 'config:write' {
  return action === 'config' || action === 'config-revert' ? 'config:write' : 'apps:deploy';
}

/** One approval. */
export interface ApprovalVote {
  name: string;
  at: string;
  comment: string | null;
}

/** What an approved request started. */
export interface ApprovalResult {
  /** The release started (deploy, promote, rollback). */
  revision?: number;
  /** The config version written (config, config-revert). */
  configVersion?: number;
}

/** An approval request as the API answers it (secrets of a config change masked). */
export interface ApprovalRequest {
  /** Tells an approval request from a release in a 202 answer of a direct operation. */
  kind: 'approval';
  id: number;
  action: ApprovalAction;
  app: string;
  /** The environment the operation acts in (a promotion's `to`). */
  env: string;
  /** The operation's request as sent (its body; a config change's secret values masked). */
  request: Record<string, unknown>;
  author: string;
  reason: string | null;
  /** How many approvals by others it needs. */
  required: number;
  state: ApprovalState;
  approvals: ApprovalVote[];
  createdAt: string;
  expiresAt: string;
  updatedAt: string;
  /** Who rejected it and why; who withdrew it. */
  endedBy: string | null;
  endReason: string | null;
  result: ApprovalResult | null;
  error: string | null;
}

/** Whether a 202 answer is an approval request (not the operation's release or version). */
export function isApprovalRequest(x: unknown): x is ApprovalRequest {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'approval';
}
