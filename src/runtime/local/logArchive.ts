/**
 * Logs of replica runs that ended: a replica replaced by a deploy, scaled away, taken down, or
 * restarted in place (its previous run). Their log folder moves, whole, to
 * `<home>/logs/<app>/<env>/<service>/<stoppedAtMs>-<replica>/` with a meta.json saying whose run it
 * was; `berth logs --previous` reads them back (kubectl's `--previous`). Each archive is bounded by
 * the replica's own size rotation; the archives of a service are bounded by age, count and bytes.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LogSelector } from '../../model/observation.js';
import { CURRENT_LOG } from './logFiles.js';
import { checkName, exists, subdirs, type ReplicaRecord } from './replicaStore.js';
import { writeJsonAtomic } from './shimFiles.js';

/** How long, how many and how much of the ended runs' logs are kept, per service. */
export interface LogRetention {
  /** Archives older than this (by the time their run ended) are deleted. Default 7 days. */
  maxAgeMs: number;
  /** At most this many archives per service, the newest. Default 20. */
  maxCount: number;
  /** At most this many bytes of archives per service, the newest first. Default 100 MiB. */
  maxBytes: number;
}

export const DEFAULT_LOG_RETENTION: LogRetention = {
  maxAgeMs: 7 * 24 * 3600 * 1000,
  maxCount: 20,
  maxBytes: 100 * 1024 * 1024,
};

/** Why a run's logs were archived. */
export type ArchiveReason = 'replaced' | 'restarted' | 'removed';

/** meta.json of an archive. */
export interface ArchiveMeta {
  replica: string;
  service: string;
  hash: string;
  revision: number;
  startedAt?: string;
  stoppedAt: string;
  reason: ArchiveReason;
}

/** One archive: its folder (rotated files and current.log, as the shim left them) and meta. */
export interface LogArchive {
  dir: string;
  meta: ArchiveMeta;
  bytes: number;
}

const META = 'meta.json';

/** `<home>/logs/<app>/<env>/<service>`. */
export function serviceArchiveDir(home: string, app: string, env: string, service: string): string {
  return join(home, 'logs', checkName('app', app), checkName('env', env), checkName('service', service));
}

/**
 * Moves a replica's log folder into the service's archives (nothing when it holds no log) and
 * applies the retention. A rename within the data directory: no copy, and a reader following the
 * old files keeps its open descriptors.
 */
export function archiveReplicaLogs(
  home: string,
  rec: ReplicaRecord,
  logDir: string,
  opts: { reason: ArchiveReason; nowMs: number; retention: LogRetention },
): void {
  if (folderBytes(logDir) === 0) return;
  const root = serviceArchiveDir(home, rec.app, rec.env, rec.service);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  let dest = join(root, `${String(opts.nowMs).padStart(15, '0')}-${rec.id}`);
  for (let n = 1; exists(dest); n++) dest = join(root, `${String(opts.nowMs).padStart(15, '0')}-${rec.id}.${n}`);
  renameSync(logDir, dest);
  const meta: ArchiveMeta = {
    replica: rec.id,
    service: rec.service,
    hash: rec.hash,
    revision: rec.revision,
    ...(rec.startedAt ? { startedAt: rec.startedAt } : {}),
    stoppedAt: new Date(opts.nowMs).toISOString(),
    reason: opts.reason,
  };
  writeJsonAtomic(join(dest, META), meta);
  pruneArchives(root, opts.retention, opts.nowMs);
}

/** Deletes the archives of one service's folder beyond the retention's age, count and bytes. */
export function pruneArchives(root: string, retention: LogRetention, nowMs: number): void {
  let count = 0;
  let bytes = 0;
  for (const a of readArchives(root).reverse()) {
    const tooOld = nowMs - Date.parse(a.meta.stoppedAt) > retention.maxAgeMs;
    const keep = !tooOld && count < retention.maxCount && (count === 0 || bytes + a.bytes <= retention.maxBytes);
    if (keep) {
      count++;
      bytes += a.bytes;
    } else rmSync(a.dir, { recursive: true, force: true });
  }
}

/**
 * The archives `--previous` shows, per service, oldest first: with a replica named, that replica's
 * last ended run; otherwise the runs that ended last — the newest archive and those before it of the
 * same version (workload hash), i.e. the replicas one deploy replaced, or the run a restart ended.
 */
export function previousArchives(
  home: string,
  sel: LogSelector,
  services: string[],
  retention: LogRetention,
  nowMs: number,
): LogArchive[] {
  const out: LogArchive[] = [];
  for (const service of sel.service ? [sel.service] : services) {
    const fresh = readArchives(serviceArchiveDir(home, sel.app, sel.env, service)).filter(
      (a) => nowMs - Date.parse(a.meta.stoppedAt) <= retention.maxAgeMs,
    );
    if (sel.replica !== undefined) {
      const last = fresh.filter((a) => a.meta.replica === sel.replica).at(-1);
      if (last) out.push(last);
      continue;
    }
    const newest = fresh.at(-1);
    if (!newest) continue;
    let i = fresh.length - 1;
    while (i > 0 && fresh[i - 1]!.meta.hash === newest.meta.hash) i--;
    out.push(...fresh.slice(i));
  }
  return out;
}

/** Services of an app and environment that have archives. */
export function archivedServices(home: string, app: string, env: string): string[] {
  return subdirs(join(home, 'logs', checkName('app', app), checkName('env', env)));
}

/** A service's archives, oldest first (folder names start with the zero-padded end time). */
function readArchives(root: string): LogArchive[] {
  const out: LogArchive[] = [];
  for (const name of subdirs(root)) {
    const dir = join(root, name);
    let meta: ArchiveMeta;
    try {
      meta = JSON.parse(readFileSync(join(dir, META), 'utf8')) as ArchiveMeta;
    } catch {
      continue; // being written (meta.json comes last), or not an archive
    }
    out.push({ dir, meta, bytes: folderBytes(dir) });
  }
  return out;
}

function folderBytes(dir: string): number {
  let n = 0;
  try {
    for (const f of readdirSync(dir)) if (f.startsWith(CURRENT_LOG)) n += statSync(join(dir, f)).size;
  } catch {
    return 0;
  }
  return n;
}
