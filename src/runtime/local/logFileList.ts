/**
 * Every log file the shims and container streams wrote, for the log index: the running replicas'
 * (`<home>/run/<app>/<env>/<service>/<replica>/logs/current.log*`) and the ended runs' archives
 * (`<home>/logs/<app>/<env>/<service>/<stopped>-<replica>/`). Each file is named by its device and
 * inode, which rotation (current.log → .1) and archiving (a rename of the folder) keep, so a reader
 * that remembers how far it read a file finds its place again under the new name.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CURRENT_LOG, parseLogRecord } from './logFiles.js';
import { listReplicaDirs, listServiceDirs, runRoot, serviceDir, subdirs } from './replicaStore.js';
import { LOG_DIR } from './shimFiles.js';
import type { ReplicaLogFile } from '../../model/logFiles.js';

/**
 * The log files under a home. The running replicas are listed before the archives: a folder
 * archived meanwhile is then found in the archives, never missed by both listings.
 */
export function listReplicaLogFiles(
  home: string,
  opts: { skipArchive?: (dir: string) => boolean } = {},
): ReplicaLogFile[] {
  const out: ReplicaLogFile[] = [];
  for (const s of listServiceDirs(home)) {
    for (const dir of listReplicaDirs(serviceDir(home, s.app, s.env, s.service))) {
      const replica = dir.slice(dir.lastIndexOf('/') + 1);
      out.push(...filesIn(join(dir, LOG_DIR), { ...s, replica }, false));
    }
  }
  const root = join(home, 'logs');
  for (const app of subdirs(root))
    for (const env of subdirs(join(root, app)))
      for (const service of subdirs(join(root, app, env)))
        for (const name of subdirs(join(root, app, env, service))) {
          const dir = join(root, app, env, service, name);
          if (opts.skipArchive?.(dir)) continue;
          const replica = archivedReplica(dir);
          // meta.json is written right after the rename; until then the folder is left for the next look.
          if (replica !== undefined) out.push(...filesIn(dir, { app, env, service, replica }, true));
        }
  return out;
}

function archivedReplica(dir: string): string | undefined {
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { replica?: unknown };
    return typeof meta.replica === 'string' ? meta.replica : undefined;
  } catch {
    return undefined;
  }
}

function filesIn(
  dir: string,
  who: { app: string; env: string; service: string; replica: string },
  archived: boolean,
): ReplicaLogFile[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n === CURRENT_LOG || n.startsWith(`${CURRENT_LOG}.`));
  } catch {
    return [];
  }
  const out: ReplicaLogFile[] = [];
  // Oldest generation first (current.log.3, .2, .1, current.log), so lines go in as they were written.
  names.sort((a, b) => generation(b) - generation(a));
  for (const name of names) {
    const path = join(dir, name);
    try {
      const st = statSync(path);
      out.push({ ...who, path, fileId: `${st.dev}:${st.ino}`, size: st.size, archived });
    } catch {
      // rotated away between the listing and the stat: the next look finds it under its new name
    }
  }
  return out;
}

function generation(name: string): number {
  return name === CURRENT_LOG ? 0 : Number(name.slice(CURRENT_LOG.length + 1)) || 0;
}

/**
 * The folders whose changes can bring log lines: the home until run/ exists, every folder of the
 * run tree down to the replicas' log folders (a line written, a rotation, a new app, service or replica, a run archived away), the
 * archive tree down to the service folders (an archive arriving), and archives still without their
 * meta.json (it is written right after the rename).
 */
export function logWatchDirs(home: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number, last: (dir: string) => void): void => {
    out.push(dir);
    if (depth === 0) return last(dir);
    for (const name of subdirs(dir)) walk(join(dir, name), depth - 1, last);
  };
  const run = runRoot(home);
  const logs = join(home, 'logs');
  // The home itself only until its run/ folder exists (made with the first replica): the stores' files
  // beside it (berth.db, metrics.db, traces.db) change every few seconds. A run archived into logs/
  // leaves its replica folder in run/, whose change wakes the ingester.
  if (!existsSync(run)) out.push(home);
  if (existsSync(run))
    walk(run, 3, (svc) => {
      for (const replica of subdirs(svc)) {
        out.push(join(svc, replica));
        if (existsSync(join(svc, replica, LOG_DIR))) out.push(join(svc, replica, LOG_DIR));
      }
    });
  if (existsSync(logs))
    walk(logs, 3, (svc) => {
      for (const name of subdirs(svc)) if (!existsSync(join(svc, name, 'meta.json'))) out.push(join(svc, name));
    });
  return out;
}

/** The log index's source over this home's files: the listing, the folders to watch and the shim's line format. */
export function localLogFileSource(home: string): {
  files(opts: { skipArchive: (dir: string) => boolean }): ReplicaLogFile[];
  parseRecord: typeof parseLogRecord;
  watchDirs(): string[];
} {
  return {
    files: (opts) => listReplicaLogFiles(home, opts),
    parseRecord: parseLogRecord,
    watchDirs: () => logWatchDirs(home),
  };
}
