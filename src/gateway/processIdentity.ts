/**
 * A process identity that survives pid reuse: the pid plus its start time (field 22 of
 * /proc/<pid>/stat, in clock ticks since boot). A recycled pid has a different start time.
 */
import { readFileSync } from 'node:fs';

/** The start time of a live process, or undefined if it is gone (or a zombie). */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may contain spaces and parentheses: the fields after it start past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

/** True if a process with this pid runs and started at `startTime`. */
export function isSameProcess(pid: number, startTime: string): boolean {
  return Number.isInteger(pid) && pid > 0 && processStartTime(pid) === startTime;
}
