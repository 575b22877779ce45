/**
 * Wakes a replica when its shim writes exit.json or probes.json (both written by rename, so one
 * event names each), letting steady supervision ticks skip the file and /proc reads and the control
 * plane read a shim's probes only when they changed.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import { shimPaths } from './shimFiles.js';

/**
 * Watches replica directory `dir` for its exit.json (`on.exit`) and probes.json (`on.probes`); undefined
 * without inotify (or past its limit): then every tick polls. An event without a name wakes both.
 */
export function watchExit(
  dir: string,
  on: { exit: () => void; error: () => void; probes?: () => void },
): FSWatcher | undefined {
  const paths = shimPaths(dir);
  const exitName = basename(paths.exit);
  const probesName = basename(paths.probes);
  try {
    const w = watch(dir, { persistent: false }, (_event, name) => {
      if (name === null || name === probesName) on.probes?.();
      if (name === null || name === exitName) on.exit();
    });
    w.on('error', on.error);
    return w;
  } catch {
    return undefined;
  }
}
