/**
 * `berth logs` over real replica folders: records of 3 fraction digits (files written before the
 * shims stamped microseconds, and the container runtime's) and of 6 merge by the time they say,
 * not by their text, and `since` compares times, not strings.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../model/observation.js';
import { DEFAULT_LOG_RETENTION } from './logArchive.js';
import { LogWriter } from './logFiles.js';
import { readReplicaLogs } from './logReader.js';
import { serviceDir, writeReplicaRecord } from './replicaStore.js';
import { replicaRecord } from './testdata/testing.js';

const MS = Date.parse('2026-12-06T20:24:54.123Z');

describe('reading replica logs', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'berth-logreader-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  /** A replica of `service` whose current.log holds `records` (raw lines), and its log folder. */
  const replica = (service: string, id: string, records: string[]): string => {
    const dir = join(serviceDir(home, 'shop', 'dev', service), id);
    writeReplicaRecord(dir, replicaRecord(id, { service }));
    const logs = join(dir, 'logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'current.log'), records.map((r) => `${r}\n`).join(''));
    return logs;
  };

  const read = async (opts: { since?: Date; tail?: number } = {}): Promise<LogLine[]> => {
    const out: LogLine[] = [];
    const lines = readReplicaLogs(
      home,
      { app: 'shop', env: 'dev' },
      { follow: false, keep: 3, retention: DEFAULT_LOG_RETENTION, nowMs: Date.now(), ...opts },
    );
    for await (const l of lines) out.push(l);
    return out;
  };

  it('merges 3- and 6-digit records by the time they say, and keeps each record’s own stamp', async () => {
    replica('web', 'web-a', [
      '2026-12-06T20:24:54.122999Z stdout web before',
      '2026-12-06T20:24:54.123001Z stdout web after',
    ]);
    // Written by a shim before the upgrade: `.123Z` is 20:24:54.123000, between the two above
    // (as text it would sort after both).
    replica('orders', 'orders-a', ['2026-12-06T20:24:54.123Z stdout orders old']);
    const lines = await read();
    expect(lines.map((l) => [l.time, l.line])).toEqual([
      ['2026-12-06T20:24:54.122999Z', 'web before'],
      ['2026-12-06T20:24:54.123Z', 'orders old'],
      ['2026-12-06T20:24:54.123001Z', 'web after'],
    ]);
    expect((await read({ tail: 1 })).map((l) => l.line)).toEqual(['web after']);
  });

  it('keeps lines from `since` on by their time, whatever the length of their fraction', async () => {
    replica('web', 'web-a', [
      '2026-12-06T20:24:54.122999Z stdout too early',
      '2026-12-06T20:24:54.123Z stdout at since',
    ]);
    replica('orders', 'orders-a', ['2026-12-06T20:24:54.1230011Z stdout just after']);
    expect((await read({ since: new Date(MS) })).map((l) => l.line)).toEqual(['at since', 'just after']);
  });

  it('reads what both shims write: the Node shim’s records are stamped to the microsecond, in order', async () => {
    const logs = replica('web', 'web-a', []);
    const w = new LogWriter(logs, { maxBytes: 1 << 20, keep: 3 });
    for (let i = 0; i < 50; i++) w.write('stdout', `line ${i}`);
    w.close();
    const lines = await read();
    expect(lines.map((l) => l.line)).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i}`));
    for (const l of lines) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });
});
