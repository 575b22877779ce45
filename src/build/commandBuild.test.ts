/** A build command: its lines, its exit, and a timeout that ends its whole process group. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBuildCommand } from './commandBuild.js';

describe('runBuildCommand', () => {
  it('streams stdout and stderr lines in the folder and reports the exit code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-cmd-'));
    try {
      const lines: string[] = [];
      const ok = await runBuildCommand({
        cwd: dir,
        command: 'pwd; echo oops >&2; exit 0',
        onLog: (l) => lines.push(l),
        timeoutMs: 10_000,
      });
      expect(ok).toEqual({ ok: true, reason: 'exit code 0' });
      expect(lines).toContain(dir);
      expect(lines).toContain('oops');
      const bad = await runBuildCommand({ cwd: dir, command: 'exit 7', onLog: () => undefined, timeoutMs: 10_000 });
      expect(bad).toEqual({ ok: false, reason: 'exit code 7' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ends a command that runs too long, children included, and one that is cancelled', async () => {
    const started = Date.now();
    const slow = await runBuildCommand({
      cwd: tmpdir(),
      command: 'sleep 30 & sleep 30; wait',
      onLog: () => undefined,
      timeoutMs: 300,
    });
    expect(slow).toEqual({ ok: false, reason: 'timed out after 300ms' });
    expect(Date.now() - started).toBeLessThan(5_000);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const cancelled = await runBuildCommand({
      cwd: tmpdir(),
      command: 'sleep 30',
      onLog: () => undefined,
      timeoutMs: 60_000,
      signal: abort.signal,
    });
    expect(cancelled).toEqual({ ok: false, reason: 'cancelled' });
  });
});
