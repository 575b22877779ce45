/**
 * The approvals table (migration 012_approvals): approval requests as rows, read and written. The
 * operation's request is stored encrypted (a config change may carry secret values) beside a masked
 * copy the API shows. The rules of who may move a request where are approvals.ts's.
 */
import type { Kysely, Selectable } from 'kysely';
import type { ApprovalsTable, Database } from '../store/schema.js';
import type { SecretBox } from '../config/secretBox.js';
import { NotFoundError } from '../errors.js';
import type {
  ApprovalAction,
  ApprovalRequest,
  ApprovalResult,
  ApprovalState,
  ApprovalVote,
} from '../model/approvals.js';

/** A new request, as created. */
export interface NewApproval {
  action: ApprovalAction;
  app: string;
  env: string;
  request: Record<string, unknown>;
  shown: Record<string, unknown>;
  author: string;
  reason: string | null;
  required: number;
  expires: Date;
}

/** Which requests to list. */
export interface ApprovalFilter {
  state?: ApprovalState | undefined;
  app?: string | undefined;
  env?: string | undefined;
  limit?: number | undefined;
}

/** A change of a request's row (only the fields given). */
export interface ApprovalUpdate {
  state?: ApprovalState;
  votes?: ApprovalVote[];
  endedBy?: string;
  endReason?: string;
  result?: ApprovalResult;
  error?: string;
}

type Row = Selectable<ApprovalsTable>;

function requestOf(row: Row): ApprovalRequest {
  return {
    kind: 'approval',
    id: row.id,
    action: row.action as ApprovalAction,
    app: row.app,
    env: row.env,
    request: JSON.parse(row.shown) as Record<string, unknown>,
    author: row.author,
    reason: row.reason,
    required: row.required,
    state: row.state as ApprovalState,
    approvals: JSON.parse(row.votes) as ApprovalVote[],
    createdAt: row.created,
    expiresAt: row.expires,
    updatedAt: row.updated,
    endedBy: row.ended_by,
    endReason: row.end_reason,
    result: row.result === null ? null : (JSON.parse(row.result) as ApprovalResult),
    error: row.error,
  };
}

export class ApprovalStore {
  private readonly db: Kysely<Database>;
  private readonly box: Pick<SecretBox, 'encrypt' | 'decrypt'>;

  constructor(db: Kysely<Database>, box: Pick<SecretBox, 'encrypt' | 'decrypt'>) {
    this.db = db;
    this.box = box;
  }

  async create(a: NewApproval, now = new Date()): Promise<ApprovalRequest> {
    const at = now.toISOString();
    const { id } = await this.db
      .insertInto('approvals')
      .values({
        action: a.action,
        app: a.app,
        env: a.env,
        request: this.box.encrypt(JSON.stringify(a.request)),
        shown: JSON.stringify(a.shown),
        author: a.author,
        reason: a.reason,
        required: a.required,
        state: 'pending',
        created: at,
        expires: a.expires.toISOString(),
        updated: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return this.get(id);
  }

  async get(id: number): Promise<ApprovalRequest> {
    const row = await this.db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`no approval request #${id}`);
    return requestOf(row);
  }

  /** The operation's request as sent (secrets in clear): only to run it. */
  async requestOf(id: number): Promise<Record<string, unknown>> {
    const row = await this.db.selectFrom('approvals').select('request').where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`no approval request #${id}`);
    return JSON.parse(this.box.decrypt(row.request)) as Record<string, unknown>;
  }

  /** Newest first. */
  async list(f: ApprovalFilter = {}): Promise<ApprovalRequest[]> {
    let q = this.db.selectFrom('approvals').selectAll();
    if (f.state !== undefined) q = q.where('state', '=', f.state);
    if (f.app !== undefined) q = q.where('app', '=', f.app);
    if (f.env !== undefined) q = q.where('env', '=', f.env);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(f.limit ?? 200)
      .execute();
    return rows.map(requestOf);
  }

  /** Requests in `states` (oldest first). */
  async inStates(states: readonly ApprovalState[]): Promise<ApprovalRequest[]> {
    const rows = await this.db.selectFrom('approvals').selectAll().where('state', 'in', states).orderBy('id').execute();
    return rows.map(requestOf);
  }

  /**
   * Writes `u` when the request is still in state `from` (a compare-and-set: two control planes or two
   * callers cannot both move it); whether it did.
   */
  async update(id: number, from: ApprovalState, u: ApprovalUpdate, now = new Date()): Promise<boolean> {
    const r = await this.db
      .updateTable('approvals')
      .set({
        updated: now.toISOString(),
        ...(u.state ? { state: u.state } : {}),
        ...(u.votes ? { votes: JSON.stringify(u.votes) } : {}),
        ...(u.endedBy !== undefined ? { ended_by: u.endedBy } : {}),
        ...(u.endReason !== undefined ? { end_reason: u.endReason } : {}),
        ...(u.result ? { result: JSON.stringify(u.result) } : {}),
        ...(u.error !== undefined ? { error: u.error } : {}),
      })
      .where('id', '=', id)
      .where('state', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Marks pending requests whose expiry passed as expired; how many. */
  async expireDue(now = new Date()): Promise<number> {
    const at = now.toISOString();
    const r = await this.db
      .updateTable('approvals')
      .set({ state: 'expired', updated: at })
      .where('state', '=', 'pending')
      .where('expires', '<=', at)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}
