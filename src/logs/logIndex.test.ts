/** The log index on a real SQLite file: batches, search by every field, cursors across a reopen, retention. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLogIndex, type IncomingLine, type LogIndex } from './logIndex.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function line(i: number, raw: string, over: Partial<IncomingLine> = {}): IncomingLine {
  return {
    timeMs: T0 + i * 1000,
    app: 'shop',
    env: 'prod',
    service: 'web',
    replica: 'web-a',
    stream: 'stdout',
    raw,
    ...over,
  };
}

describe('the log index', () => {
  let dir: string;
  let file: string;
  let index: LogIndex;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-logindex-'));
    file = join(dir, 'logindex.db');
    index = openLogIndex(file);
    index.append(
      [
        line(0, 'listening on :8080'),
        line(1, JSON.stringify({ level: 30, msg: 'trade T-4711 accepted', trace_id: TRACE })),
        line(2, JSON.stringify({ level: 'ERROR', message: 'trade T-4711 rejected: limit', traceId: TRACE }), {
          service: 'orders',
          replica: 'orders-b',
        }),
        line(3, 'WARN slow disk', { stream: 'stderr' }),
        line(4, 'trade T-4712 accepted'),
        line(5, 'trade t-4711 again', { env: 'staging' }),
        line(6, 'trade T-4711 elsewhere', { app: 'blog' }),
      ],
      [],
    );
  });
  afterEach(() => {
    index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const q = { app: 'shop', env: 'prod', limit: 100 };
  const raws = (r: { lines: { line: string }[] }): string[] => r.lines.map((l) => l.line);

  it('finds free text as a case-insensitive substring, across services, within one app and environment, oldest first', () => {
    const found = index.search({ ...q, text: 't-4711' });
    expect(found.lines.map((l) => [l.service, l.level, l.message])).toEqual([
      ['web', 'info', 'trade T-4711 accepted'],
      ['orders', 'error', 'trade T-4711 rejected: limit'],
    ]);
    expect(found.lines[0]!.time).toBe('2026-03-01T10:00:01.000000Z');
    expect(found.truncated).toBe(false);
    // Substrings inside a token, as grep finds them; two characters take the scan path.
    expect(raws(index.search({ ...q, text: '471' }))).toHaveLength(3);
    expect(raws(index.search({ ...q, text: ':8' }))).toEqual(['listening on :8080']);
    // FTS5 syntax in the text is only text.
    expect(index.search({ ...q, text: 'trade OR listening' }).lines).toEqual([]);
    expect(index.search({ ...q, text: '"msg"' }).lines.map((l) => l.message)).toEqual(['trade T-4711 accepted']);
  });

  it('narrows by service, replica, stream, level (and above), trace id and time range', () => {
    expect(raws(index.search({ ...q, service: 'orders' }))).toHaveLength(1);
    expect(raws(index.search({ ...q, replica: 'web-a' }))).toHaveLength(4);
    expect(raws(index.search({ ...q, stream: 'stderr' }))).toEqual(['WARN slow disk']);
    expect(index.search({ ...q, level: 'warn' }).lines.map((l) => l.level)).toEqual(['error', 'warn']);
    expect(index.search({ ...q, traceId: TRACE.toUpperCase() }).lines.map((l) => l.service)).toEqual(['web', 'orders']);
    expect(raws(index.search({ ...q, sinceMs: T0 + 3000, untilMs: T0 + 5000 }))).toEqual([
      'WARN slow disk',
      'trade T-4712 accepted',
    ]);
  });

  it('answers the newest lines up to the limit and says it left older ones out', () => {
    const r = index.search({ ...q, limit: 2 });
    expect(raws(r)).toEqual(['WARN slow disk', 'trade T-4712 accepted']);
    expect(r.truncated).toBe(true);
  });

  it('answers the lines indexed after a line, in the order they were indexed (a follow’s cursor)', () => {
    const all = index.search(q).lines;
    const third = all[3]!;
    index.append([line(-5, 'late but new'), line(9, 'newest')], []);
    const after = index.search({ ...q, afterId: third.id });
    expect(raws(after)).toEqual(['trade T-4712 accepted', 'late but new', 'newest']);
    expect(after.lines.map((l) => l.id)).toEqual([...after.lines.map((l) => l.id)].sort((a, b) => a - b));
    expect(raws(index.search({ ...q, afterId: third.id, text: 'new', limit: 1 }))).toEqual(['late but new']);
    expect(index.search({ ...q, afterId: after.lines.at(-1)!.id }).lines).toEqual([]);
  });

  it('keeps lines and file cursors across a reopen, in one transaction with them', () => {
    index.append([line(9, 'after')], [{ fileId: '1:42', fingerprint: 'first', offset: 100 }]);
    index.close();
    index = openLogIndex(file);
    expect(index.cursors().get('1:42')).toEqual({ fileId: '1:42', fingerprint: 'first', offset: 100 });
    expect(raws(index.search({ ...q, text: 'after' }))).toEqual(['after']);
    index.dropCursors(['1:42']);
    expect(index.cursors().size).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('stores times to the microsecond: orders, ranges, answers and prunes by them', () => {
    // Lines of one millisecond, indexed out of order (as two services' files are read one after the other).
    const ms = T0 + 60_000 + 0.5;
    const at = (us: number, raw: string): IncomingLine => line(0, raw, { timeMs: ms + us / 1000, env: 'us' });
    index.append([at(300, 'third'), at(400, 'fourth'), at(100, 'first'), at(200, 'second'), at(200, 'second too')], []);
    const us = { app: 'shop', env: 'us', limit: 100 };
    expect(raws(index.search(us))).toEqual(['first', 'second', 'second too', 'third', 'fourth']);
    expect(index.search(us).lines[0]!.time).toBe('2026-03-01T10:01:00.000600Z');
    expect(raws(index.search({ ...us, sinceMs: ms + 0.2, untilMs: ms + 0.4 }))).toEqual([
      'second',
      'second too',
      'third',
    ]);
    expect(raws(index.search({ ...us, limit: 2 }))).toEqual(['third', 'fourth']);
    // By age to a fraction of a millisecond; then the size cut falls between two lines of the same
    // microsecond: the one indexed later stays.
    const keep = ['fourth', 'third', 'second too'].reduce((n, t) => n + Buffer.byteLength(t), 0);
    expect(index.prune('us', { beforeMs: ms + 0.15, maxBytes: keep })).toBe(2); // first by age, second by size
    expect(raws(index.search(us))).toEqual(['second too', 'third', 'fourth']);
  });

  it('prunes an environment by age, then by size from the oldest, and search no longer finds what went', () => {
    expect(index.environments().sort()).toEqual(['prod', 'staging']);
    expect(index.prune('prod', { beforeMs: T0 + 1000, maxBytes: 1e9 })).toBe(1);
    expect(index.search({ ...q, text: 'listening' }).lines).toEqual([]);
    const before = index.usage('prod');
    expect(before.lines).toBe(5); // shop's four and blog's one: retention is per environment, across its apps
    // Keep only what the newest two lines of prod take.
    const keep = Buffer.byteLength('trade T-4711 elsewhere') + Buffer.byteLength('trade T-4712 accepted');
    expect(index.prune('prod', { beforeMs: 0, maxBytes: keep })).toBe(3);
    expect(index.usage('prod')).toEqual({ lines: 2, bytes: keep });
    expect(index.search({ ...q, text: 'T-4711' }).lines).toEqual([]);
    expect(index.usage('staging').lines).toBe(1);
  });
});
