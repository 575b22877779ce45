import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { refreshProcSnapshot, takeProcSnapshot, treeUsage } from './procfs.js';

/** Polls `fn` until it returns true; fails after `timeoutMs`. */
async function until(fn: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('procfs snapshots', () => {
  it('a refreshed snapshot re-reads the processes of the full one, and drops the ones that ended', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const pid = child.pid!;
      await until(() => takeProcSnapshot(Date.now()).children.get(process.pid)?.includes(pid) ?? false);
      const full = takeProcSnapshot(Date.now());
      const refreshed = refreshProcSnapshot(full, full.takenAtMs + 1000);
      expect(refreshed.takenAtMs).toBe(full.takenAtMs + 1000);
      // The tree of this process, child included, read afresh: our own CPU time only grows.
      const before = treeUsage(full, process.pid)!;
      const after = treeUsage(refreshed, process.pid)!;
      expect(after.rssBytes).toBeGreaterThan(0);
      expect(after.cpuTicks).toBeGreaterThanOrEqual(before.cpuTicks);
      expect(refreshed.byPid.get(pid)?.ppid).toBe(process.pid);

      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      // Still in the full snapshot's tree, but gone when read again.
      const later = refreshProcSnapshot(full, Date.now());
      expect(later.children.get(process.pid)).toContain(pid);
      expect(later.byPid.has(pid)).toBe(false);
      expect(treeUsage(later, pid)).toBeUndefined();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
