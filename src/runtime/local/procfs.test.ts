import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PROC_CHILDREN,
  lazyProcSnapshot,
  parseStatBytes,
  readProcStat,
  refreshProcSnapshot,
  takeProcSnapshot,
  treeUsage,
} from './procfs.js';

/** Polls `fn` until it returns true; fails after `timeoutMs`. */
async function until(fn: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The stat line's fields the way proc(5) reads them (split after the last ')'): the test's oracle. */
function statOfText(pid: number, text: string) {
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const page = 4096;
  return {
    pid,
    state: f[0],
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTime: Number(f[19]),
    rssBytes: Number(f[21]) * page,
  };
}

describe('stat lines', () => {
  it('are read from their bytes as from their text: real processes, and a command name with spaces and parentheses', () => {
    const lines = [process.pid, process.ppid, 1].map(
      (pid) => [pid, readFileSync(`/proc/${pid}/stat`, 'latin1')] as const,
    );
    lines.push([4242, '4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 120 0 0 0 17 5 0 0 20 0 1 0 987654 1000 250 0 0 0']);
    for (const [pid, text] of lines) {
      const bytes = Buffer.from(text, 'latin1');
      expect(parseStatBytes(pid, bytes, bytes.length)).toEqual(statOfText(pid, text));
    }
    expect(parseStatBytes(4242, Buffer.from(lines[3]![1], 'latin1'), lines[3]![1].length)).toMatchObject({
      state: 'S',
      ppid: 1,
      pgrp: 4242,
      cpuTicks: 22,
      startTime: 987654,
    });
    expect(readProcStat(process.pid)).toMatchObject({
      pid: process.pid,
      ppid: process.ppid,
      state: expect.any(String),
    });
  });
});

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

  it('a lazy snapshot finds a tree through the kernel children lists, as a full snapshot does', async () => {
    expect(PROC_CHILDREN).toBe(true);
    const child = spawn('/bin/sh', ['-c', 'sleep 30 & sleep 30 & wait'], { stdio: 'ignore' });
    try {
      const pid = child.pid!;
      // Both children forked and turned into sleep (a forked shell's memory is not yet the sleep's).
      const sleeping = (): boolean => {
        const kids = takeProcSnapshot(Date.now()).children.get(pid) ?? [];
        return kids.length === 2 && kids.every((k) => readFileSync(`/proc/${k}/comm`, 'utf8').trim() === 'sleep');
      };
      await until(sleeping);
      // A sleep just exec'd still faults its pages in: wait until the tree's memory holds still.
      const treeRss = (): number | undefined => treeUsage(takeProcSnapshot(Date.now()), pid)?.rssBytes;
      let last = treeRss();
      await until(() => last === (last = treeRss()));
      const full = takeProcSnapshot(Date.now());
      const lazy = lazyProcSnapshot(Date.now());
      expect([...lazy.children.get(pid)!].sort()).toEqual([...full.children.get(pid)!].sort());
      // The same three processes, the shell and its two sleeps, whose memory does not move.
      expect(treeUsage(lazy, pid)!.rssBytes).toBe(treeUsage(full, pid)!.rssBytes);
      expect(treeUsage(lazy, pid)!.rssBytes).toBeGreaterThan(treeUsage(lazy, full.children.get(pid)![0]!)!.rssBytes);
    } finally {
      child.kill('SIGKILL');
      for (const p of takeProcSnapshot(Date.now()).children.get(child.pid!) ?? []) process.kill(p, 'SIGKILL');
    }
  });
});
