import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../runtime.js';
import type { LogLine } from '../../model/observation.js';
import { createLocalRuntime } from './localRuntime.js';
import { LogFollower, LogWriter, readAllLogRecords, wallClockMs } from './logFiles.js';
import { RecordingGateway, buildShims, fixtureState, killAll, tempHome } from './testdata/testing.js';

describe('log files', () => {
  it('rotates at the size limit keeping N files, and reads back in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-logs-'));
    const w = new LogWriter(dir, { maxBytes: 1000, keep: 3 });
    for (let i = 0; i < 200; i++) w.write(i % 2 ? 'stderr' : 'stdout', `line ${i}`);
    w.close();
    expect(existsSync(join(dir, 'current.log.3'))).toBe(true);
    expect(existsSync(join(dir, 'current.log.4'))).toBe(false);
    const recs = readAllLogRecords(dir, { includeCurrent: true, keep: 3 });
    const nums = recs.map((r) => Number(r.line.split(' ')[1]));
    expect(nums.at(-1)).toBe(199);
    expect(nums).toEqual(Array.from({ length: nums.length }, (_, i) => 200 - nums.length + i));
    expect(recs.length).toBeLessThan(200);
    expect(recs[1]).toMatchObject({ stream: 'stderr' });
    expect(Date.parse(recs[0]!.time)).not.toBeNaN();
  });

  it('stamps records from a microsecond wall clock that stays within Date.now()’s millisecond and never goes back', () => {
    let last = 0;
    let fractions = 0;
    for (let i = 0; i < 5000; i++) {
      const before = Date.now();
      const t = wallClockMs();
      const after = Date.now();
      expect(t).toBeGreaterThanOrEqual(before);
      expect(t).toBeLessThan(after + 1);
      expect(t).toBeGreaterThanOrEqual(last);
      if (t !== Math.floor(t)) fractions++;
      last = t;
    }
    expect(fractions).toBeGreaterThan(0); // finer than the millisecond
  });

  it('follows the current file across rotations without losing or repeating lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-logs-'));
    const w = new LogWriter(dir, { maxBytes: 300, keep: 2 });
    const f = new LogFollower(dir, false);
    const seen: string[] = [];
    for (let i = 0; i < 60; i++) {
      w.write('stdout', `n ${i}`);
      // Poll after every few writes, so a rotation often happens between polls.
      if (i % 4 === 3) seen.push(...f.poll().map((r) => r.line));
    }
    seen.push(...f.poll().map((r) => r.line));
    f.close();
    w.close();
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => `n ${i}`));
  });
});

describe('local runtime logs', () => {
  let shims: { shimEntry: string; nativeShim: string };
  beforeAll(() => {
    shims = buildShims();
  });
  let home: string;
  let runtime: Runtime | undefined;

  afterEach(async () => {
    await runtime?.remove('shop', 'dev').catch(() => undefined);
    await runtime?.close();
    runtime = undefined;
    killAll(home);
  });

  it('returns merged, timestamped lines with tail, and follows across rotation until aborted', async () => {
    home = tempHome();
    runtime = createLocalRuntime({
      home,
      gateway: new RecordingGateway(),
      ...shims,
      pollIntervalMs: 50,
      edgePort: 0,
      logMaxBytes: 600,
      logKeep: 2,
    });
    const rt = runtime;
    await rt.converge(fixtureState({ replicas: 2, fixtureEnv: { FIXTURE_PRINT_LINES: '2' } }), {
      signal: new AbortController().signal,
      onEvent: () => undefined,
    });
    const all: LogLine[] = [];
    for await (const l of rt.logs({ app: 'shop', env: 'dev', service: 'orders' }, { follow: false })) all.push(l);
    const replicas = new Set(all.map((l) => l.replica));
    expect(replicas.size).toBe(2);
    expect(all.filter((l) => l.line === 'out 1' && l.stream === 'stdout')).toHaveLength(2);
    expect(all.filter((l) => l.line === 'err 0' && l.stream === 'stderr')).toHaveLength(2);
    expect(all.every((l) => l.service === 'orders' && /^\d{4}-\d\d-\d\dT.*Z$/.test(l.time))).toBe(true);
    expect([...all].sort((a, b) => a.time.localeCompare(b.time))).toEqual(all);

    const one = [...replicas][0]!;
    const tail: LogLine[] = [];
    for await (const l of rt.logs({ app: 'shop', env: 'dev', replica: one }, { follow: false, tail: 2 })) tail.push(l);
    expect(tail).toHaveLength(2);
    expect(tail.every((l) => l.replica === one)).toBe(true);

    // A ticking replica writes ~45 bytes a line: with 600-byte files it rotates every ~13 lines.
    await rt.converge(fixtureState({ hash: 'tick0001', fixtureEnv: { FIXTURE_PRINT_EVERY_MS: '20' } }), {
      signal: new AbortController().signal,
      onEvent: () => undefined,
    });
    const ac = new AbortController();
    const ticks: number[] = [];
    for await (const l of rt.logs(
      { app: 'shop', env: 'dev', service: 'orders' },
      { follow: true, tail: 0, signal: ac.signal },
    )) {
      const m = /^tick (\d+)$/.exec(l.line);
      if (m) ticks.push(Number(m[1]));
      if (ticks.length >= 60) ac.abort();
    }
    expect(ticks.length).toBeGreaterThanOrEqual(60);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBe(ticks[i - 1]! + 1);
  });
});
