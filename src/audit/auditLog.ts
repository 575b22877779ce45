/**
 * The audit log's store (docs/access.md "Audit log"): entries appended one at a time to `audit_log`
 * (one chain: appends are serialized), the head (last seq and hash) written to `<home>/audit.head` and
 * fsynced after each, filtered pages newest first, every matching entry oldest first for export, and
 * verification of the whole chain against the head.
 */
import type BetterSqlite3 from 'better-sqlite3';
import {
  AUDIT_GENESIS,
  type AuditEntry,
  type AuditOutcomeKind,
  type AuditRecord,
  type AuditVerification,
} from '../model/audit.js';
import { entryHash, verifyChain } from './chain.js';
import { readHead, writeHead } from './headFile.js';

/** What `query` and `entries` filter by (all optional; times as epoch ms). */
export interface AuditFilter {
  actor?: string;
  app?: string;
  env?: string;
  operation?: string;
  /** Any of these outcomes. */
  outcome?: readonly AuditOutcomeKind[];
  sinceMs?: number;
  untilMs?: number;
}

interface Row {
  seq: number;
  time: string;
  actor_name: string;
  actor_kind: string;
  credential: string | null;
  on_behalf_of: string | null;
  address: string | null;
  operation: string;
  method: string;
  route: string;
  app: string | null;
  env: string | null;
  object: string | null;
  outcome: string;
  status: number;
  code: string | null;
  message: string | null;
  summary: string | null;
  prev_hash: string;
  hash: string;
}

const has = <T>(v: T | null): v is T => v !== null;

/** An entry as its row says it (what is verified is what is shown). */
function entryOf(r: Row): AuditEntry {
  return {
    seq: r.seq,
    time: r.time,
    actor: {
      name: r.actor_name,
      kind: r.actor_kind as AuditEntry['actor']['kind'],
      ...(has(r.credential) ? { credential: r.credential } : {}),
      ...(has(r.on_behalf_of) ? { onBehalfOf: r.on_behalf_of } : {}),
    },
    ...(has(r.address) ? { address: r.address } : {}),
    operation: { id: r.operation, method: r.method, route: r.route },
    target: {
      ...(has(r.app) ? { app: r.app } : {}),
      ...(has(r.env) ? { env: r.env } : {}),
      ...(has(r.object) ? { object: JSON.parse(r.object) as Record<string, string> } : {}),
    },
    outcome: {
      kind: r.outcome as AuditOutcomeKind,
      status: r.status,
      ...(has(r.code) ? { code: r.code } : {}),
      ...(has(r.message) ? { message: r.message } : {}),
    },
    ...(has(r.summary) ? { summary: JSON.parse(r.summary) as unknown } : {}),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** A record as stored: JSON round-tripped, so the entry hashed is the one read back. */
function normalized(record: AuditRecord): AuditRecord {
  return JSON.parse(JSON.stringify(record)) as AuditRecord;
}

function where(f: AuditFilter): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  const eq = (column: string, v: string | undefined) => {
    if (v === undefined) return;
    parts.push(`${column} = ?`);
    args.push(v);
  };
  eq('actor_name', f.actor);
  eq('app', f.app);
  eq('env', f.env);
  eq('operation', f.operation);
  if (f.outcome && f.outcome.length > 0) {
    parts.push(`outcome in (${f.outcome.map(() => '?').join(', ')})`);
    args.push(...f.outcome);
  }
  if (f.sinceMs !== undefined) {
    parts.push('time >= ?');
    args.push(new Date(f.sinceMs).toISOString());
  }
  if (f.untilMs !== undefined) {
    parts.push('time < ?');
    args.push(new Date(f.untilMs).toISOString());
  }
  return { sql: parts.length ? parts.join(' and ') : '1 = 1', args };
}

export class AuditLog {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly insert: BetterSqlite3.Statement;
  private readonly last: BetterSqlite3.Statement;

  private readonly sqlite: BetterSqlite3.Database;
  /** `<home>/audit.head`. */
  readonly headFile: string;
  private readonly now: () => Date;

  constructor(sqlite: BetterSqlite3.Database, headFile: string, now: () => Date = () => new Date()) {
    this.sqlite = sqlite;
    this.headFile = headFile;
    this.now = now;
    this.insert = sqlite.prepare(
      `insert into audit_log (seq, time, actor_name, actor_kind, credential, on_behalf_of, address, operation, method,
        route, app, env, object, outcome, status, code, message, summary, prev_hash, hash)
       values (@seq, @time, @actor_name, @actor_kind, @credential, @on_behalf_of, @address, @operation, @method,
        @route, @app, @env, @object, @outcome, @status, @code, @message, @summary, @prev_hash, @hash)`,
    );
    this.last = sqlite.prepare('select seq, hash from audit_log order by seq desc limit 1');
  }

  /**
   * Appends `record` (its time set now when absent) and writes the new head; resolves once both are
   * durable. Appends run one after another: one chain, whatever calls at once.
   */
  append(record: Omit<AuditRecord, 'time'> & { time?: string }): Promise<AuditEntry> {
    const run = this.queue.then(() => this.appendNow(record));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every append asked for so far has ended (written or failed). */
  settled(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  private async appendNow(input: Omit<AuditRecord, 'time'> & { time?: string }): Promise<AuditEntry> {
    const record = normalized({ ...input, time: input.time ?? this.now().toISOString() });
    const entry = this.sqlite
      .transaction(() => {
        const last = this.last.get() as { seq: number; hash: string } | undefined;
        const seq = (last?.seq ?? 0) + 1;
        const prevHash = last?.hash ?? AUDIT_GENESIS;
        const e: AuditEntry = { seq, ...record, prevHash, hash: '' };
        e.hash = entryHash(e);
        this.insert.run({
          seq,
          time: e.time,
          actor_name: e.actor.name,
          actor_kind: e.actor.kind,
          credential: e.actor.credential ?? null,
          on_behalf_of: e.actor.onBehalfOf ?? null,
          address: e.address ?? null,
          operation: e.operation.id,
          method: e.operation.method,
          route: e.operation.route,
          app: e.target.app ?? null,
          env: e.target.env ?? null,
          object: e.target.object ? JSON.stringify(e.target.object) : null,
          outcome: e.outcome.kind,
          status: e.outcome.status,
          code: e.outcome.code ?? null,
          message: e.outcome.message ?? null,
          summary: e.summary === undefined ? null : JSON.stringify(e.summary),
          prev_hash: prevHash,
          hash: e.hash,
        });
        return e;
      })
      .immediate();
    await writeHead(this.headFile, { seq: entry.seq, hash: entry.hash });
    return entry;
  }

  /** A page of entries matching `f`, newest first, older than `cursor` (a seq) when given. */
  query(f: AuditFilter, limit: number, cursor?: number): { entries: AuditEntry[]; nextCursor?: number } {
    const w = where(f);
    const rows = this.sqlite
      .prepare(
        `select * from audit_log where ${w.sql}${cursor === undefined ? '' : ' and seq < ?'} order by seq desc limit ?`,
      )
      .all(...w.args, ...(cursor === undefined ? [] : [cursor]), limit + 1) as Row[];
    const entries = rows.slice(0, limit).map(entryOf);
    return rows.length > limit ? { entries, nextCursor: entries[entries.length - 1]!.seq } : { entries };
  }

  /** Every entry matching `f`, oldest first, read in batches (an export of any size). */
  *entries(f: AuditFilter = {}, batch = 500): Generator<AuditEntry> {
    const w = where(f);
    const stmt = this.sqlite.prepare(`select * from audit_log where ${w.sql} and seq > ? order by seq limit ?`);
    let after = 0;
    for (;;) {
      const rows = stmt.all(...w.args, after, batch) as Row[];
      for (const r of rows) yield entryOf(r);
      if (rows.length < batch) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  /** Checks the whole chain and the head beside it (waits for appends under way). */
  async verify(): Promise<AuditVerification> {
    await this.queue;
    const head = await readHead(this.headFile);
    return verifyChain([...this.entries()], head);
  }
}
