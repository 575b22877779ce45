/**
 * The audit log's hash chain: each entry's hash is sha256(prevHash + canonical JSON of the entry), so
 * changing, removing or moving an entry breaks the chain at that point, and the head kept beside the
 * database (`<home>/audit.head`) catches a removal at the end. Pure: the store reads, this decides.
 */
import { hash } from 'node:crypto';
import { canonicalJSON } from '../canonical.js';
import { AUDIT_GENESIS, type AuditEntry, type AuditVerification } from '../model/audit.js';

/** The hash of an entry chained after `prevHash` (its own hash and prevHash are not part of the content). */
export function entryHash(entry: Omit<AuditEntry, 'hash' | 'prevHash'> & { hash?: string; prevHash: string }): string {
  const { hash: _h, prevHash, ...content } = entry;
  return hash('sha256', prevHash + canonicalJSON(content));
}

export interface Head {
  seq: number;
  hash: string;
}

type Bad = NonNullable<AuditVerification['firstBad']>;

/**
 * Checks `entries` (in the order of their seq, as stored) against each other and against `head`. The
 * first break is named: an entry whose content no longer gives its hash (edited); one whose predecessor
 * is gone (missing: a gap in seq, or a chain link to no entry); one linked to an entry that is elsewhere
 * (reordered); a table whose end is not the head written beside it (a removal at the end: missing;
 * anything else: head-mismatch).
 */
export function verifyChain(entries: readonly AuditEntry[], head: Head | null): AuditVerification {
  const result = (firstBad?: Bad): AuditVerification => ({
    ok: firstBad === undefined,
    entries: entries.length,
    head,
    ...(firstBad ? { firstBad } : {}),
  });
  const hashes = new Map<string, number>();
  for (const e of entries) hashes.set(e.hash, e.seq);
  let prev: AuditEntry | undefined;
  for (const e of entries) {
    const expectedSeq = prev ? prev.seq + 1 : 1;
    const expectedPrev = prev ? prev.hash : AUDIT_GENESIS;
    if (e.prevHash !== expectedPrev) {
      const linked = hashes.get(e.prevHash);
      if (e.seq > expectedSeq)
        return result({ seq: expectedSeq, reason: 'missing', detail: `entry ${expectedSeq} is not in the log` });
      if (linked !== undefined)
        return result({
          seq: e.seq,
          reason: 'reordered',
          detail: `entry ${e.seq} follows entry ${linked} in the chain, not entry ${prev?.seq ?? 0}`,
        });
      if (prev)
        return result({
          seq: prev.seq,
          reason: 'edited',
          detail: `entry ${prev.seq}'s hash was rewritten: entry ${e.seq} was chained to another`,
        });
      return result({ seq: e.seq, reason: 'missing', detail: `the entries before ${e.seq} are not in the log` });
    }
    if (e.seq !== expectedSeq)
      return result({ seq: expectedSeq, reason: 'missing', detail: `entry ${expectedSeq} is not in the log` });
    if (entryHash(e) !== e.hash)
      return result({ seq: e.seq, reason: 'edited', detail: `entry ${e.seq}'s content does not give its hash` });
    prev = e;
  }
  const last = prev ? { seq: prev.seq, hash: prev.hash } : null;
  if (head === null) {
    if (last === null) return result();
    return result({
      seq: last.seq,
      reason: 'head-mismatch',
      detail: `the log has ${entries.length} entries but no head file (audit.head) beside it`,
    });
  }
  if (last === null || head.seq > last.seq)
    return result({
      seq: (last?.seq ?? 0) + 1,
      reason: 'missing',
      detail: `the head is entry ${head.seq}; the log ends at ${last?.seq ?? 0}`,
    });
  if (head.seq < last.seq || head.hash !== last.hash)
    return result({
      seq: head.seq,
      reason: 'head-mismatch',
      detail: `the head file names entry ${head.seq} (${head.hash.slice(0, 12)}…); the log's entry ${head.seq} does not have that hash or is not its last`,
    });
  return result();
}
