/** The log center's retention settings from the control plane's environment. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { DEFAULT_INDEX_RETENTION } from '../logs/logIngester.js';
import { indexRetentionOf, LOG_INDEX_FILE, startLogCenter } from './logCenter.js';

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
});
