/**
 * Reads process facts from /proc (Linux): start times that make a pid unambiguous, liveness, and
 * the RSS and CPU time of a process tree. All reads are synchronous and cheap; a vanished process
 * reads as undefined rather than throwing.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';

/** Bytes per page and clock ticks per second on Linux (x86_64 and arm64 defaults). */
const PAGE_SIZE_BYTES = 4096;
const CLOCK_TICKS_PER_SECOND = 100;

/** One process as seen in /proc/<pid>/stat. */
export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Start time after boot, in clock ticks (field 22): with the pid it identifies a process. */
  startTime: number;
  rssBytes: number;
  state: string;
}

/**
 * One buffer for every /proc/<pid>/stat read: supervision reads one per replica process every few
 * seconds, and readFileSync's fstat, second read and fresh buffer per file were most of that work.
 * A stat line is a few hundred bytes (the command name at most 64); a longer one is read again whole.
 */
const statBuffer = Buffer.allocUnsafe(1024);

/** Parses /proc/<pid>/stat; undefined when the process does not exist. */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    const fd = openSync(`/proc/${pid}/stat`, 'r');
    try {
      const n = readSync(fd, statBuffer, 0, statBuffer.length, 0);
      // The usual line is parsed where it was read: no string, no split into 50 fields.
      if (n < statBuffer.length) return parseStatBytes(pid, statBuffer, n);
      const whole = readFileSync(fd);
      return parseStatBytes(pid, whole, whole.length);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * The fields of a stat line ProcStat keeps, by their index after the command name (field 3, the
 * state, is 0), to their slot in `statFields`: ppid, pgrp, utime, stime, starttime, rss (pages).
 */
const KEPT_FIELDS = new Map([
  [1, 0],
  [2, 1],
  [11, 2],
  [12, 3],
  [19, 4],
  [21, 5],
]);
const LAST_KEPT_FIELD = 21;
const statFields = new Float64Array(KEPT_FIELDS.size);

/** The stat line in `buf[0, n)`, read from its bytes (no string, no split: nothing for the GC). */
export function parseStatBytes(pid: number, buf: Uint8Array, n: number): ProcStat | undefined {
  // The command name (field 2) may contain spaces and parentheses: the fields start after the last ')'.
  let i = n - 1;
  while (i >= 0 && buf[i] !== 0x29) i--;
  if (i < 0 || i + 2 >= n) return undefined;
  i += 2;
  const state = String.fromCharCode(buf[i]!);
  statFields.fill(0);
  let field = 0;
  let slot: number | undefined;
  for (; i < n && field <= LAST_KEPT_FIELD; i++) {
    const c = buf[i]!;
    if (c === 0x20) slot = KEPT_FIELDS.get(++field);
    else if (slot !== undefined && c >= 0x30 && c <= 0x39) statFields[slot] = statFields[slot]! * 10 + (c - 0x30);
  }
  const [ppid, pgrp, utime, stime, startTime, rss] = statFields;
  return {
    pid,
    state,
    ppid: ppid!,
    pgrp: pgrp!,
    cpuTicks: utime! + stime!,
    startTime: startTime!,
    rssBytes: rss! * PAGE_SIZE_BYTES,
  };
}

/** The start time of a process (field 22 of /proc/<pid>/stat), or undefined when it is gone. */
export function readStartTime(pid: number): number | undefined {
  return readProcStat(pid)?.startTime;
}

/** True when `pid` runs and is the process that started at `startTime` (not a recycled pid, not a zombie). */
export function isSameProcessAlive(pid: number, startTime: number): boolean {
  const st = readProcStat(pid);
  return st !== undefined && st.startTime === startTime && st.state !== 'Z' && st.state !== 'X';
}

/**
 * True when some process has `pid` (signal 0: no file read). A recycled pid or a zombie reads as
 * alive: isSameProcessAlive is the exact check, this the cheap one between exact ones.
 */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A snapshot of every process, taken once per sampling tick and shared by all replicas. */
export interface ProcSnapshot {
  takenAtMs: number;
  byPid: Map<number, ProcStat>;
  children: Map<number, number[]>;
}

/** Reads every /proc/<pid>/stat once. */
export function takeProcSnapshot(nowMs: number): ProcSnapshot {
  const byPid = new Map<number, ProcStat>();
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    // no procfs: every sample reads as empty
  }
  for (const name of entries) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const st = readProcStat(pid);
    if (!st) continue;
    byPid.set(pid, st);
    const list = children.get(st.ppid);
    if (list) list.push(pid);
    else children.set(st.ppid, [pid]);
  }
  return { takenAtMs: nowMs, byPid, children };
}

/**
 * A snapshot that reads only the processes asked for (lazily), with the process tree of an earlier
 * full snapshot: a full one reads every process on the machine, which is most of an idle
 * supervisor's work; children forked since `full` show up at the next full one.
 */
export function refreshProcSnapshot(full: ProcSnapshot, nowMs: number): ProcSnapshot {
  return { takenAtMs: nowMs, byPid: new LazyProcStats(), children: full.children };
}

/**
 * Whether this kernel lists a task's children in /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN,
 * on in the common distributions' kernels); without it, process trees come from full snapshots.
 */
export const PROC_CHILDREN = existsSync(`/proc/${process.pid}/task/${process.pid}/children`);

/**
 * A snapshot that reads only the processes asked for, and the trees below them from the kernel's
 * list of each process's children (`children`, kept by the caller as long as it trusts it): a tree of
 * a replica costs a read per process in it, not one per process on the machine. Only the children
 * of a process's main thread are listed (what a fork from another thread starts is not counted).
 */
export function lazyProcSnapshot(nowMs: number, children: Map<number, number[]> = new ProcChildren()): ProcSnapshot {
  return { takenAtMs: nowMs, byPid: new LazyProcStats(), children };
}

/** The children of each process, read from /proc/<pid>/task/<pid>/children on first use. */
export class ProcChildren extends Map<number, number[]> {
  override get(pid: number): number[] | undefined {
    let list = super.get(pid);
    if (list === undefined) {
      list = [];
      try {
        for (const f of readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').split(' '))
          if (f !== '' && f !== '\n') list.push(Number(f));
      } catch {
        // gone (or no such list): no children
      }
      super.set(pid, list);
    }
    return list;
  }
}

/** /proc/<pid>/stat read on first use, once per snapshot. */
class LazyProcStats extends Map<number, ProcStat> {
  private readonly gone = new Set<number>();

  override get(pid: number): ProcStat | undefined {
    this.load(pid);
    return super.get(pid);
  }

  override has(pid: number): boolean {
    this.load(pid);
    return super.has(pid);
  }

  private load(pid: number): void {
    if (super.has(pid) || this.gone.has(pid)) return;
    const st = readProcStat(pid);
    if (st) super.set(pid, st);
    else this.gone.add(pid);
  }
}

/** RSS and CPU ticks summed over `rootPid` and all its descendants. */
export function treeUsage(snap: ProcSnapshot, rootPid: number): { rssBytes: number; cpuTicks: number } | undefined {
  if (!snap.byPid.has(rootPid)) return undefined;
  let rssBytes = 0;
  let cpuTicks = 0;
  const seen = new Set<number>();
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const st = snap.byPid.get(pid);
    if (!st) continue;
    rssBytes += st.rssBytes;
    cpuTicks += st.cpuTicks;
    stack.push(...(snap.children.get(pid) ?? []));
  }
  return { rssBytes, cpuTicks };
}

/** CPU percent (100 = one core) between two samples of a tree's cumulative ticks. */
export function cpuPercent(prevTicks: number, prevAtMs: number, ticks: number, atMs: number): number {
  const elapsedS = (atMs - prevAtMs) / 1000;
  if (elapsedS <= 0) return 0;
  return Math.max(0, ((ticks - prevTicks) / CLOCK_TICKS_PER_SECOND / elapsedS) * 100);
}

/** Sends a signal to a process group, ignoring a group that no longer exists. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  // kill(-0) would signal our own process group.
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends a signal to one process, ignoring one that no longer exists. */
export function killPid(pid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
