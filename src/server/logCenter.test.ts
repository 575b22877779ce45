/**
 * The log center: its retention settings from the control plane's environment, and the index
 * written by a worker thread (real log files, a real index file, a real worker from dist/).
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { isoMicros } from '../model/logTime.js';
import { DEFAULT_INDEX_RETENTION } from '../logs/logIngester.js';
import { openLogIndex } from '../logs/logIndex.js';
import { createEnvironments } from '../environment/environments.js';
import { openStore } from '../store/store.js';
import { indexRetentionOf, LOG_INDEX_FILE, startLogCenter, tellingLogCenter } from './logCenter.js';

describe('the log index retention', () => {
  it('is 7 days and 1 GiB per environment by default, and the variables change it', () => {
    expect(indexRetentionOf({})).toEqual({ maxAgeMs: 7 * 24 * 3600 * 1000, maxBytes: 1024 ** 3 });
    expect(DEFAULT_INDEX_RETENTION).toEqual(indexRetentionOf({}));
    expect(indexRetentionOf({ BERTH_LOG_INDEX_MAX_AGE: '72h', BERTH_LOG_INDEX_MAX_BYTES: '512Mi' })).toEqual({
      maxAgeMs: 72 * 3600 * 1000,
      maxBytes: 512 * 1024 ** 2,
    });
  });

  it('refuses a value it cannot read, naming the variable', () => {
    let err: unknown;
    try {
      indexRetentionOf({ BERTH_LOG_INDEX_MAX_AGE: 'a week', BERTH_LOG_INDEX_MAX_BYTES: '0' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path)).toEqual([
      'BERTH_LOG_INDEX_MAX_AGE',
      'BERTH_LOG_INDEX_MAX_BYTES',
    ]);
  });
});

describe('the log center', () => {
  it('indexes this home’s replica lines, and keeps the control plane going without search when the index cannot be opened', async () => {
    const home = mkdtempSync(join(tmpdir(), 'berth-logcenter-'));
    const logs = join(home, 'run', 'shop', 'dev', 'web', 'web-1', 'logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(home, 'run', 'shop', 'dev', 'web', 'web-1', 'replica.json'), '{}');
    writeFileSync(join(logs, 'current.log'), `${new Date().toISOString()} stdout hello index\n`);
    const center = startLogCenter(home, pino({ level: 'silent' }), {});
    const search = () => center.index!.search({ app: 'shop', env: 'dev', text: 'hello', limit: 10 }).lines;
    for (let i = 0; i < 50 && search().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(search().map((l) => l.line)).toEqual(['hello index']);
    await center.close();

    const broken = mkdtempSync(join(tmpdir(), 'berth-logcenter-'));
    mkdirSync(join(broken, LOG_INDEX_FILE)); // a directory where the file should be
    const errors: string[] = [];
    const logger = pino({ level: 'error' }, { write: (s: string) => errors.push(s) });
    const off = startLogCenter(broken, logger, {});
    expect(off.index).toBeUndefined();
    expect(errors.join('')).toContain('log search is off');
    await off.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(broken, { recursive: true, force: true });
  });

  /** A replica folder under `home` with `n` lines in its current.log, stamped now. */
  const replicaWithLines = (
    home: string,
    env: string,
    replica: string,
    n: number,
    text = 'trade',
    at = new Date(),
  ): void => {
    const dir = join(home, 'run', 'shop', env, 'web', replica);
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(join(dir, 'replica.json'), '{}');
    const stamp = at.toISOString();
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`${stamp} stdout ${text} T-${i} of ${replica} went through`);
    appendFileSync(join(dir, 'logs', 'current.log'), `${lines.join('\n')}\n`);
  };
  const count = (center: ReturnType<typeof startLogCenter>, env = 'dev'): number => center.index!.usage(env).lines;

  it('writes the index off the control plane’s event loop: lines go in while this thread is busy', async () => {
    const home = mkdtempSync(join(tmpdir(), 'berth-logcenter-'));
    replicaWithLines(home, 'dev', 'web-1', 30_000);
    const center = startLogCenter(home, pino({ level: 'silent' }), {}, { pollMs: 50 });
    try {
      // This thread never yields here: an ingester on its event loop could not index a line meanwhile.
      const until = Date.now() + 20_000;
      let seen = 0;
      while (Date.now() < until && (seen = count(center)) < 30_000) {
        const spin = Date.now() + 20;
        while (Date.now() < spin) {
          // busy
        }
      }
      expect(seen).toBe(30_000);
      expect(center.index!.search({ app: 'shop', env: 'dev', text: 'T-29999 ', limit: 5 }).lines).toHaveLength(1);
    } finally {
      await center.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('loses and repeats nothing when it is closed in the middle of an ingest and started again', async () => {
    const home = mkdtempSync(join(tmpdir(), 'berth-logcenter-'));
    replicaWithLines(home, 'dev', 'web-1', 40_000);
    let center = startLogCenter(home, pino({ level: 'silent' }), {}, { pollMs: 50, batchLines: 500 });
    try {
      for (let i = 0; i < 200 && count(center) === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await center.close();
      const atClose = openLogIndex(join(home, LOG_INDEX_FILE));
      const partial = atClose.usage('dev').lines;
      atClose.close();
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(40_000);
      replicaWithLines(home, 'dev', 'web-1', 1000, 'later');
      center = startLogCenter(home, pino({ level: 'silent' }), {}, { pollMs: 50 });
      for (let i = 0; i < 400 && count(center) < 41_000; i++) await new Promise((r) => setTimeout(r, 50));
      expect(count(center)).toBe(41_000);
      const ids = center.index!.search({ app: 'shop', env: 'dev', text: 'T-123 ', limit: 10 }).lines;
      expect(ids.map((l) => l.line)).toEqual([
        'trade T-123 of web-1 went through',
        'later T-123 of web-1 went through',
      ]);
    } finally {
      await center.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('keeps each environment’s lines by its own retention setting, aged by the time the shim stamped on each line', async () => {
    const home = mkdtempSync(join(tmpdir(), 'berth-logcenter-'));
    const store = await openStore({ file: join(home, 'berth.db') });
    const envs = createEnvironments(store.db);
    await envs.create({ name: 'dev' });
    await envs.create({ name: 'qa' });
    await envs.create({ name: 'prod' });
    // dev keeps 4 KiB of text, qa one hour, prod the defaults (7 days, 1 GiB).
    await envs.setEdge('dev', { logRetention: { maxSize: '4Ki' } });
    await envs.setEdge('qa', { logRetention: { maxAge: '1h' } });
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    replicaWithLines(home, 'dev', 'web-1', 1000);
    replicaWithLines(home, 'qa', 'web-1', 100, 'old', twoHoursAgo);
    replicaWithLines(home, 'qa', 'web-1', 100, 'new');
    replicaWithLines(home, 'prod', 'web-1', 100, 'old', twoHoursAgo);
    const center = startLogCenter(home, pino({ level: 'silent' }), {}, { pollMs: 50 });
    try {
      await center.followEnvironments(() => envs.list());
      // The worker's first retention run may come as soon as the backlog is in: wait for the last lines.
      const has = (env: string, text: string): boolean =>
        center.index!.search({ app: 'shop', env, text, limit: 1 }).lines.length > 0;
      for (
        let i = 0;
        i < 200 && !(has('dev', 'T-999 ') && has('qa', 'new T-99 ') && count(center, 'prod') === 100);
        i++
      )
        await new Promise((r) => setTimeout(r, 50));
      // A line's time is the shim's stamp, not when the index read it.
      const old = center.index!.search({ app: 'shop', env: 'prod', text: 'old T-5 ', limit: 5 }).lines;
      expect(old.map((l) => l.time)).toEqual([isoMicros(twoHoursAgo.getTime())]); // answered to the microsecond
      await center.prune();
      const dev = center.index!.usage('dev');
      expect(dev.bytes).toBeLessThanOrEqual(4096);
      expect(dev.bytes).toBeGreaterThan(4096 - 100);
      // The newest stayed.
      expect(center.index!.search({ app: 'shop', env: 'dev', text: 'T-999 ', limit: 5 }).lines).toHaveLength(1);
      expect(
        center.index!.search({ app: 'shop', env: 'qa', limit: 1000 }).lines.map((l) => l.line.split(' ')[0]),
      ).toEqual(Array(100).fill('new'));
      expect(count(center, 'prod')).toBe(100);
      // Back to the default: nothing more goes.
      // Through the environments the control plane serves: the change reaches the worker at once.
      const told = tellingLogCenter(envs, center);
      await told.setEdge('dev', { logRetention: { maxSize: null } });
      expect((await envs.get('dev')).target).toEqual({ kind: 'local' });
      replicaWithLines(home, 'dev', 'web-2', 500);
      for (let i = 0; i < 200 && count(center, 'dev') < dev.lines + 500; i++)
        await new Promise((r) => setTimeout(r, 50));
      await center.prune();
      expect(count(center, 'dev')).toBe(dev.lines + 500);
    } finally {
      await center.close();
      await store.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
