/**
 * Wakes a replica when its shim writes exit.json (written by rename, so one event names it), letting
 * steady supervision ticks skip the file and /proc reads.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import { shimPaths } from './shimFiles.js';

/** Watches replica directory `dir` for its exit.json; undefined without inotify (or past its limit): then every tick polls. */
export function watchExit(dir: string, onExit: () => void, onError: () => void): FSWatcher | undefined {
  const exitName = basename(shimPaths(dir).exit);
  try {
    const w = watch(dir, { persistent: false }, (_event, name) => {
      if (name === null || name === exitName) onExit();
    });
    w.on('error', onError);
    return w;
  } catch {
    return undefined;
  }
}
