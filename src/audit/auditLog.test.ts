/**
 * The audit log on a real SQLite file: appends chained one after another (concurrent ones too), the
 * triggers refusing UPDATE and DELETE, and verification naming the first break when an attacker who
 * dropped the triggers edits an entry, deletes one in the middle or at the end, or reorders two.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.js';
import { AuditLog } from './auditLog.js';
import type { AuditRecord } from '../model/audit.js';

const record = (i: number, over: Partial<AuditRecord> = {}): Omit<AuditRecord, 'time'> => ({
  actor: { name: i % 2 ? 'alice' : 'bob', kind: 'user', credential: String(i) },
  address: '127.0.0.1',
  operation: { id: 'changeConfig', method: 'PATCH', route: '/api/v1/apps/:app/envs/:env/config' },
  target: { app: 'shop', env: i % 2 ? 'prod' : 'test' },
  outcome: { kind: 'ok', status: 201 },
  summary: { set: { GREETING: { value: `hello ${i}` } } },
  ...over,
});

describe('the audit log', () => {
  let home: string;
  let store: Store;
  let log: AuditLog;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'berth-audit-'));
    store = await openStore({ file: join(home, 'berth.db') });
    log = new AuditLog(store.sqlite, join(home, 'audit.head'));
  });
  afterEach(async () => {
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  const fill = async (n: number) => {
    // All at once: the appends are serialized into one chain.
    await Promise.all(Array.from({ length: n }, (_, i) => log.append(record(i + 1))));
  };
  const dropTriggers = () => {
    store.sqlite.exec('drop trigger audit_log_no_update; drop trigger audit_log_no_delete;');
  };

  it('chains concurrent appends, and an intact log verifies', async () => {
    expect(await log.verify()).toEqual({ ok: true, entries: 0, head: null });
    await fill(20);
    const all = [...log.entries()];
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (let i = 1; i < all.length; i++) expect(all[i]!.prevHash).toBe(all[i - 1]!.hash);
    const v = await log.verify();
    expect(v).toMatchObject({ ok: true, entries: 20, head: { seq: 20, hash: all[19]!.hash } });
  });

  it('refuses UPDATE and DELETE at the database', async () => {
    await fill(2);
    expect(() => store.sqlite.prepare(`update audit_log set actor_name = 'eve' where seq = 1`).run()).toThrow(
      /append-only/,
    );
    expect(() => store.sqlite.prepare('delete from audit_log where seq = 2').run()).toThrow(/append-only/);
  });

  it('names an edited entry (its summary changed in the file)', async () => {
    await fill(5);
    dropTriggers();
    store.sqlite.prepare(`update audit_log set summary = '{"set":{"GREETING":{"value":"bye"}}}' where seq = 3`).run();
    expect((await log.verify()).firstBad).toMatchObject({ seq: 3, reason: 'edited' });
  });

  it('names an edited entry whose hash was recomputed too (the next link breaks)', async () => {
    await fill(5);
    dropTriggers();
    store.sqlite.prepare(`update audit_log set hash = ? where seq = 2`).run('f'.repeat(64));
    expect((await log.verify()).firstBad).toMatchObject({ seq: 2, reason: 'edited' });
  });

  it('names an entry deleted in the middle, at the start and at the end', async () => {
    await fill(5);
    dropTriggers();
    store.sqlite.prepare('delete from audit_log where seq = 3').run();
    expect((await log.verify()).firstBad).toMatchObject({ seq: 3, reason: 'missing' });
    store.sqlite.prepare('delete from audit_log where seq = 1').run();
    expect((await log.verify()).firstBad).toMatchObject({ seq: 1, reason: 'missing' });
  });

  it('names a deletion at the end by the head beside the database', async () => {
    await fill(5);
    dropTriggers();
    store.sqlite.prepare('delete from audit_log where seq = 5').run();
    expect(await log.verify()).toMatchObject({ ok: false, firstBad: { seq: 5, reason: 'missing' } });
  });

  it('names a head that does not match, and a head file that was removed', async () => {
    await fill(3);
    await writeFile(log.headFile, JSON.stringify({ seq: 3, hash: 'a'.repeat(64) }));
    expect((await log.verify()).firstBad).toMatchObject({ seq: 3, reason: 'head-mismatch' });
    await rm(log.headFile);
    expect((await log.verify()).firstBad).toMatchObject({ seq: 3, reason: 'head-mismatch' });
  });

  it('names a reordering (two entries swapped)', async () => {
    await fill(5);
    dropTriggers();
    store.sqlite.exec('update audit_log set seq = 100 where seq = 2');
    store.sqlite.exec('update audit_log set seq = 2 where seq = 3');
    store.sqlite.exec('update audit_log set seq = 3 where seq = 100');
    expect((await log.verify()).firstBad).toMatchObject({ seq: 2, reason: 'reordered' });
  });

  it('pages newest first with filters and a cursor; exports oldest first', async () => {
    await fill(7);
    const p1 = log.query({ actor: 'alice' }, 2);
    expect(p1.entries.map((e) => e.seq)).toEqual([7, 5]);
    const p2 = log.query({ actor: 'alice' }, 2, p1.nextCursor);
    expect(p2.entries.map((e) => e.seq)).toEqual([3, 1]);
    expect(p2.nextCursor).toBeUndefined();
    expect(log.query({ env: 'test', app: 'shop' }, 10).entries.map((e) => e.seq)).toEqual([6, 4, 2]);
    expect(log.query({ outcome: ['refused', 'failed'] }, 10).entries).toEqual([]);
    expect([...log.entries({ env: 'prod' }, 2)].map((e) => e.seq)).toEqual([1, 3, 5, 7]);
    expect(log.query({ sinceMs: Date.now() + 60_000 }, 10).entries).toEqual([]);
  });
});
