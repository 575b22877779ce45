/**
 * Where a replica's run stands, read from its shim's files and processes: spawning (no shim.json
 * yet), running (the shim and its command), or ended (exit.json, or a shim that died or never
 * started). Polled, since an adopted shim is not our child.
 */
import { message } from '../../model/messages.js';
import { exitError } from './exitReason.js';
import { isPidAlive, isSameProcessAlive, killGroup } from './procfs.js';
import { readExitInfo, readShimInfo } from './replicaStore.js';
import type { ExitInfo, ShimInfo } from './shimFiles.js';

/** How long a shim may take to write shim.json before it is considered failed. */
export const SHIM_START_TIMEOUT_MS = 10_000;

export type RunState =
  | { kind: 'spawning'; shimPid: number | undefined; sinceMs: number }
  | { kind: 'running'; shim: ShimInfo }
  | { kind: 'down' };

/** What changed in a run: it ended (with `info`), its command started (`shim`), or nothing. */
export type RunChange = { kind: 'exited'; info: ExitInfo } | { kind: 'running'; shim: ShimInfo } | undefined;

/**
 * Checks a run that is not down in `dir` at `now`. A shim found dead without an exit.json has its
 * command's process group killed (it would otherwise run on unsupervised).
 */
export function observeRun(
  run: Exclude<RunState, { kind: 'down' }>,
  dir: string,
  now: number,
  /** The shim is known alive without /proc (a child of this process that Node has not reaped: its pid is not reused). */
  shimAlive = false,
): RunChange {
  const exit = readExitInfo(dir);
  if (exit) return { kind: 'exited', info: exit };
  if (run.kind === 'spawning') {
    const shim = readShimInfo(dir);
    if (shim) return { kind: 'running', shim };
    if (run.shimPid === undefined ? now - run.sinceMs > SHIM_START_TIMEOUT_MS : !isPidAlive(run.shimPid)) {
      // Re-read: the shim may have finished between the two reads.
      return {
        kind: 'exited',
        info: readExitInfo(dir) ?? {
          code: null,
          signal: null,
          at: iso(now),
          ...exitError(message('exit.shimExitedEarly')),
        },
      };
    }
    return undefined;
  }
  const { shim } = run;
  if (!shimAlive && !isSameProcessAlive(shim.shimPid, shim.shimStartTime)) {
    const late = readExitInfo(dir);
    if (late) return { kind: 'exited', info: late };
    if (shim.pid > 0 && isSameProcessAlive(shim.pid, shim.startTime)) killGroup(shim.pid, 'SIGKILL');
    return { kind: 'exited', info: { code: null, signal: null, at: iso(now), ...exitError(message('exit.shimDied')) } };
  }
  return undefined;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
