import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StepLog, maxLogBytes, stepLogFile } from './stepLog.js';

describe('StepLog', () => {
  it('keeps at most its bound on disk, says so once, and keeps the last lines for the tail', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-steplog-'));
    try {
      const log = new StepLog(stepLogFile(dir, 7, 0), 100);
      for (let i = 1; i <= 30; i++) log.write(`line ${i}\n`);
      log.write('partial');
      const text = await readFile(join(dir, 'runs/7/1.log'), 'utf8');
      expect(text.startsWith('line 1\nline 2\n')).toBe(true);
      expect(text).toContain('[berth: the log is longer than 100 bytes; the rest is not kept]');
      expect(text.match(/the rest is not kept/g)).toHaveLength(1);
      expect(text).not.toContain('line 30');
      // The tail is of everything written, the lines past the bound too.
      expect(log.tail()).toHaveLength(20);
      expect(log.tail().at(-1)).toBe('partial');
      expect(log.tail().at(-2)).toBe('line 30');
      expect(maxLogBytes({ BERTH_PIPELINE_LOG_MAX_BYTES: '2048' })).toBe(2048);
      expect(maxLogBytes({ BERTH_PIPELINE_LOG_MAX_BYTES: 'lots' })).toBe(4 * 1024 * 1024);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
