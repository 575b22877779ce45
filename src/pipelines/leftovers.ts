/**
 * A test command's process group left running by a control plane that was killed: on restart, before
 * the step runs again, the group is stopped if its leader is still the same process (its pid and its
 * start time in /proc, so a pid reused by another program is left alone).
 */
import { readFileSync } from 'node:fs';

/** The start time (clock ticks since boot, /proc/<pid>/stat field 22) of a live process; undefined if none. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Kills the process group `pid` leads when its leader is the process started at `startTime`; true if it did. */
export function stopLeftoverGroup(pid: number, startTime: number): boolean {
  if (processStartTime(pid) !== startTime) return false;
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
