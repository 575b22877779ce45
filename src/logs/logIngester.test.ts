/**
 * Ingestion over real log files as the shim writes them (LogWriter, rotation) and as the runtime
 * archives them, into a real index file: every line once, across rotation, archiving, a lines
 * budget per look and a control plane that stops and starts again.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveReplicaLogs, DEFAULT_LOG_RETENTION } from '../runtime/local/logArchive.js';
import { LogWriter } from '../runtime/local/logFiles.js';
import { localLogFileSource, logWatchDirs } from '../runtime/local/logFileList.js';
import { writeReplicaRecord, type ReplicaRecord } from '../runtime/local/replicaStore.js';
import { replicaRecord } from '../runtime/local/testdata/testing.js';
import { openLogIndex, type LogIndex } from './logIndex.js';
import { createLogIngester, type LogIngesterOptions } from './logIngester.js';

const record = (id: string, service = 'orders'): ReplicaRecord => replicaRecord(id, { service });

describe('the log ingester', () => {
  let home: string;
  let index: LogIndex;
  const open = (): LogIndex => (index = openLogIndex(join(home, 'logindex.db')));
  const ingester = (o: Partial<LogIngesterOptions> = {}) =>
    createLogIngester({ index, source: localLogFileSource(home), ...o });
  const texts = (): string[] => index.search({ app: 'shop', env: 'dev', limit: 100_000 }).lines.map((l) => l.line);

  /**
   * A replica folder with a replica.json and a log writer (rotating at `maxBytes`, keeping 3;
   * stamping records with `now`, default the wall clock).
   */
  const replica = (
    id: string,
    maxBytes = 1 << 20,
    o: { service?: string; now?: () => number } = {},
  ): { dir: string; logs: string; writer: LogWriter } => {
    const service = o.service ?? 'orders';
    const dir = join(home, 'run', 'shop', 'dev', service, id);
    writeReplicaRecord(dir, record(id, service));
    const logs = join(dir, 'logs');
    mkdirSync(logs, { recursive: true });
    return { dir, logs, writer: new LogWriter(logs, { maxBytes, keep: 3, ...(o.now ? { now: o.now } : {}) }) };
  };

  /** Ends a replica's run as the runtime does: its writer closed, its log folder archived, its folder removed. */
  const endRun = (r: { dir: string; logs: string; writer: LogWriter }, id = 'orders-a'): void => {
    r.writer.close();
    archiveReplicaLogs(home, record(id), r.logs, {
      reason: 'removed',
      nowMs: Date.now(),
      retention: DEFAULT_LOG_RETENTION,
    });
    rmSync(r.dir, { recursive: true });
  };

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'berth-ingest-'));
    open();
  });
  afterEach(() => {
    index.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('indexes new complete lines of every replica once, with service, replica, stream, time and what the line says', () => {
    const a = replica('orders-a');
    const b = replica('orders-b');
    a.writer.write('stdout', JSON.stringify({ level: 50, msg: 'trade T-9 failed', trace_id: 'abc123def4567890' }));
    b.writer.write('stderr', 'WARN slow');
    const ing = ingester();
    expect(ing.runOnce()).toBe(2);
    expect(ing.runOnce()).toBe(0);
    a.writer.write('stdout', 'second');
    expect(ing.runOnce()).toBe(1);
    const found = index.search({ app: 'shop', env: 'dev', limit: 10 }).lines;
    expect(found.map((l) => [l.replica, l.stream, l.level, l.message, l.traceId, l.line])).toEqual([
      ['orders-a', 'stdout', 'error', 'trade T-9 failed', 'abc123def4567890', expect.stringContaining('"msg"')],
      ['orders-b', 'stderr', 'warn', undefined, undefined, 'WARN slow'],
      ['orders-a', 'stdout', undefined, undefined, undefined, 'second'],
    ]);
    expect(found.every((l) => l.service === 'orders' && l.time.endsWith('Z'))).toBe(true);
    a.writer.close();
    b.writer.close();
  });

  it('keeps two services’ lines of one millisecond in their true order, whichever file it reads first', () => {
    // web logs "received" and calls orders, which logs "rejected" 300 µs later in the same
    // millisecond; then the same again. Read file by file, insertion order is web, web, orders,
    // orders or the reverse: only the microseconds give the true order.
    const ms = Date.parse('2026-12-06T20:24:54.123Z');
    const at =
      (times: number[]): (() => number) =>
      () =>
        times.shift()!;
    const web = replica('web-a', 1 << 20, { service: 'web', now: at([ms + 0.1, ms + 0.5]) });
    const orders = replica('orders-a', 1 << 20, { now: at([ms + 0.4, ms + 0.8]) });
    web.writer.write('stdout', 'trade T-4711 received');
    orders.writer.write('stdout', 'trade T-4711 rejected');
    web.writer.write('stdout', 'trade T-4712 received');
    orders.writer.write('stdout', 'trade T-4712 rejected');
    // A record of a file written before the upgrade (3 digits): the start of that millisecond.
    writeFileSync(join(orders.logs, 'current.log.1'), '2026-12-06T20:24:54.123Z stdout an older record\n');
    web.writer.close();
    orders.writer.close();
    expect(ingester().runOnce()).toBe(5);
    const found = index.search({ app: 'shop', env: 'dev', text: 'T-47', limit: 10 }).lines;
    expect(found.map((l) => [l.service, l.time, l.line])).toEqual([
      ['web', '2026-12-06T20:24:54.123100Z', 'trade T-4711 received'],
      ['orders', '2026-12-06T20:24:54.123400Z', 'trade T-4711 rejected'],
      ['web', '2026-12-06T20:24:54.123500Z', 'trade T-4712 received'],
      ['orders', '2026-12-06T20:24:54.123800Z', 'trade T-4712 rejected'],
    ]);
    expect(texts()[0]).toBe('an older record');
    // A time range to the microsecond: from the first rejection on.
    const since = index.search({ app: 'shop', env: 'dev', sinceMs: ms + 0.4, untilMs: ms + 0.8, limit: 10 });
    expect(since.lines.map((l) => l.line)).toEqual(['trade T-4711 rejected', 'trade T-4712 received']);
  });

  it('leaves a line without its newline for the next look', () => {
    const a = replica('orders-a');
    writeFileSync(join(a.logs, 'current.log'), '2026-01-01T00:00:00.000Z stdout half a li', { flag: 'a' });
    const ing = ingester();
    expect(ing.runOnce()).toBe(0);
    writeFileSync(join(a.logs, 'current.log'), 'ne\n', { flag: 'a' });
    expect(ing.runOnce()).toBe(1);
    expect(texts()).toEqual(['half a line']);
    a.writer.close();
  });

  it('reads on across rotations and into the archive of an ended run, nothing twice, nothing lost', () => {
    const a = replica('orders-a', 2000); // ~40 lines a file: 100 lines rotate twice
    const ing = ingester();
    for (let i = 0; i < 30; i++) a.writer.write('stdout', `line ${i} ${'x'.repeat(10)}`);
    expect(ing.runOnce()).toBe(30);
    for (let i = 30; i < 100; i++) a.writer.write('stdout', `line ${i} ${'x'.repeat(10)}`);
    // The run ends before the next look: its log folder moves to the archives.
    endRun(a);
    expect(ing.runOnce()).toBe(70);
    expect(texts()).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(10)}`));
    expect(ing.runOnce()).toBe(0);
  });

  it('starts again where the last committed batch ended after a restart, and reads a backlog over several looks', () => {
    const a = replica('orders-a');
    for (let i = 0; i < 50; i++) a.writer.write('stdout', `before ${i}`);
    const first = ingester({ batchLines: 10, lookLines: 20 });
    expect(first.runOnce()).toBe(20);
    expect(first.runOnce()).toBe(20);
    index.close(); // the control plane stops (or is killed: the cursors are in the lines' transaction)
    for (let i = 0; i < 5; i++) a.writer.write('stdout', `after ${i}`);
    open();
    const second = ingester({ batchLines: 10, lookLines: 20 });
    expect(second.runOnce()).toBe(15);
    expect(texts()).toEqual([
      ...Array.from({ length: 50 }, (_, i) => `before ${i}`),
      ...Array.from({ length: 5 }, (_, i) => `after ${i}`),
    ]);
    a.writer.close();
  });

  it('takes a file whose first line changed for a new file, even under a cursor’s inode', () => {
    const a = replica('orders-a');
    a.writer.write('stdout', 'old run');
    a.writer.close();
    const ing = ingester();
    expect(ing.runOnce()).toBe(1);
    // Same path and inode, new content: as if the filesystem gave a deleted file's inode to a new log.
    writeFileSync(
      join(a.logs, 'current.log'),
      `${new Date(Date.now() + 1000).toISOString()} stdout new run, a longer first line\n`,
    );
    expect(ing.runOnce()).toBe(1);
    expect(texts()).toEqual(['old run', 'new run, a longer first line']);
  });

  /** Waits until `ok()` holds, or fails naming `what` after 10 s. */
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    for (const end = Date.now() + 10_000; !ok(); await new Promise((r) => setTimeout(r, 10)))
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  };

  it('sleeps while quiet and is woken by its folders: a line written, a new service and replica, a run archived', async () => {
    const a = replica('orders-a');
    a.writer.write('stdout', 'first');
    // Its safety look is ten minutes away: only a watched folder's change can bring the lines below in.
    const ing = ingester({ pollMs: 10, idleLookMs: 600_000 });
    ing.start();
    try {
      await until('the first line', () => texts().length === 1);
      await until('a quiet ingester to sleep', () => ing.sleeping());
      a.writer.write('stdout', 'written while idle');
      await until('the line written while idle', () => texts().includes('written while idle'));

      await until('sleep again', () => ing.sleeping());
      const b = replica('billing-a', 1 << 20, { service: 'billing' });
      b.writer.write('stderr', 'a new service');
      await until('the new service’s line', () => texts().includes('a new service'));

      await until('sleep again', () => ing.sleeping());
      a.writer.write('stdout', 'last words');
      endRun(a);
      await until('the archived run’s last line', () => texts().includes('last words'));
      b.writer.close();
      expect(texts().sort()).toEqual(['a new service', 'first', 'last words', 'written while idle']);
    } finally {
      await ing.stop();
    }
  });

  it('sleeps in a home without any replica yet and wakes at the first one', async () => {
    const ing = ingester({ pollMs: 10, idleLookMs: 600_000 });
    ing.start();
    try {
      await until('a quiet ingester to sleep', () => ing.sleeping());
      const a = replica('orders-a');
      a.writer.write('stdout', 'hello');
      await until('the first replica’s line', () => texts().includes('hello'));
      a.writer.close();
    } finally {
      await ing.stop();
    }
  });

  it('watches the home only until run/ exists (the stores beside it change every few seconds)', () => {
    expect(logWatchDirs(home)).toEqual([home]);
    const a = replica('orders-a');
    const dirs = logWatchDirs(home);
    expect(dirs).not.toContain(home);
    expect(dirs).toEqual(expect.arrayContaining([join(home, 'run'), a.dir, a.logs]));
    a.writer.close();
  });

  it('applies the retention of each environment', () => {
    const a = replica('orders-a');
    a.writer.write('stdout', 'kept');
    a.writer.close();
    const ing = ingester({
      now: () => Date.now() + 3_600_000,
      retentionOf: () => ({ maxAgeMs: 60_000, maxBytes: 1e9 }),
    });
    ing.runOnce();
    expect(ing.prune()).toBe(1);
    expect(texts()).toEqual([]);
  });
});
