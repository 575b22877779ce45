/**
 * The audit log's entries (docs/access.md "Audit log"): who did what, where, when, from which
 * address, what came of it and a masked summary of the change, each entry chained to the one before
 * it by hash. Shared by the server (src/audit/), the CLI and the console.
 */

/** Who acted: a user or service account (its credential's id, never a secret), a webhook, the control plane. */
export interface AuditActor {
  name: string;
  kind: 'user' | 'service' | 'anonymous' | 'webhook' | 'system';
  /** The stored token's or session's id the call was made with. */
  credential?: string;
  /** For the control plane acting on someone's behalf (a pipeline step that deploys): who asked. */
  onBehalfOf?: string;
}

/** The API operation (the OpenAPI operationId) and the route it came through. */
export interface AuditOperation {
  id: string;
  method: string;
  route: string;
}

/** Where it acted, and the object it named (a user, a token id, a service, a key…), by kind. */
export interface AuditTarget {
  app?: string;
  env?: string;
  object?: Record<string, string>;
}

/** ok: 1xx-3xx; refused: 4xx (401, 403, 400, 409…); failed: 5xx. */
export type AuditOutcomeKind = 'ok' | 'refused' | 'failed';

export const AUDIT_OUTCOMES: readonly AuditOutcomeKind[] = ['ok', 'refused', 'failed'];

export interface AuditOutcome {
  kind: AuditOutcomeKind;
  status: number;
  /** The error's code and message (a refusal names the missing permission). */
  code?: string;
  message?: string;
}

/** What an entry says; `seq`, `prevHash` and `hash` are the chain's. */
export interface AuditRecord {
  /** ISO-8601 UTC. */
  time: string;
  actor: AuditActor;
  /** The caller's address (the control plane's own actions: none). */
  address?: string;
  operation: AuditOperation;
  target: AuditTarget;
  outcome: AuditOutcome;
  /** The request body with secrets masked, passwords and tokens left out, spec texts as their sha256 and size. */
  summary?: unknown;
}

/** One entry of the chain: hash = sha256(prevHash + canonical JSON of the entry without hash and prevHash). */
export interface AuditEntry extends AuditRecord {
  seq: number;
  prevHash: string;
  hash: string;
}

/** Why verification stopped at an entry. */
export type AuditBreak = 'edited' | 'missing' | 'reordered' | 'head-mismatch';

/** What `GET /api/v1/audit/verify` answers. */
export interface AuditVerification {
  ok: boolean;
  /** How many entries the table holds. */
  entries: number;
  /** The head as written beside the database (`<home>/audit.head`), null when there is none. */
  head: { seq: number; hash: string } | null;
  firstBad?: { seq: number; reason: AuditBreak; detail: string };
}

/** A page of `GET /api/v1/audit`, newest first; `nextCursor` fetches the older ones. */
export interface AuditPage {
  entries: AuditEntry[];
  nextCursor?: number;
}

/** The hash before the first entry. */
export const AUDIT_GENESIS = '0'.repeat(64);
