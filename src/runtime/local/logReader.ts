/**
 * Reads the logs of the selected replicas as one stream ordered by time: the last `tail` lines
 * first, then (with `follow`) new lines as they are written, including those of replicas created
 * meanwhile, until the signal aborts.
 */
import { join } from 'node:path';
import type { LogLine, LogSelector } from '../../model/observation.js';
import { LogFollower, readAllLogRecords } from './logFiles.js';
import type { LogRecord } from './logFiles.js';
import { listReplicaDirs, listServiceDirs, serviceDir } from './replicaStore.js';
import { LOG_DIR } from './shimFiles.js';
import { archivedServices, previousArchives, type LogRetention } from './logArchive.js';
import { recordTimeMs } from '../../model/logTime.js';

/** How often a follow looks for new lines and new replicas. */
const FOLLOW_POLL_MS = 200;

interface Source {
  service: string;
  replica: string;
  logDir: string;
}

function sources(home: string, sel: LogSelector): Source[] {
  const services = sel.service
    ? [sel.service]
    : listServiceDirs(home)
        .filter((s) => s.app === sel.app && s.env === sel.env)
        .map((s) => s.service);
  const out: Source[] = [];
  for (const service of services) {
    for (const dir of listReplicaDirs(serviceDir(home, sel.app, sel.env, service))) {
      const replica = dir.slice(dir.lastIndexOf('/') + 1);
      if (sel.replica && sel.replica !== replica) continue;
      out.push({ service, replica, logDir: join(dir, LOG_DIR) });
    }
  }
  return out;
}

/** A line and its time as a number: records have 3 fraction digits (older files) or 6, so their texts do not sort. */
interface TimedLine {
  ms: number;
  line: LogLine;
}

function toLines(src: Source, recs: LogRecord[], since: Date | undefined): TimedLine[] {
  const sinceMs = since?.getTime();
  const out: TimedLine[] = [];
  for (const r of recs) {
    const parsed = recordTimeMs(r.time);
    const ms = Number.isNaN(parsed) ? -Infinity : parsed; // a record with no time sorts first
    if (sinceMs !== undefined && !(ms >= sinceMs)) continue;
    out.push({
      ms,
      line: { time: r.time, service: src.service, replica: src.replica, stream: r.stream, line: r.line },
    });
  }
  return out;
}

/** Oldest first; a stable sort keeps one file's lines of the same time in their order. */
function byTime(a: TimedLine, b: TimedLine): number {
  return a.ms < b.ms ? -1 : a.ms > b.ms ? 1 : 0;
}

function* linesOf(timed: TimedLine[]): Generator<LogLine> {
  for (const t of timed) yield t.line;
}

/** The lines of the runs that ended last (`--previous`): complete files, read once, merged by time. */
function previousLines(
  home: string,
  sel: LogSelector,
  opts: { since?: Date; tail?: number; keep: number; retention: LogRetention; nowMs: number },
): TimedLine[] {
  const services = sel.service ? [sel.service] : archivedServices(home, sel.app, sel.env);
  let lines: TimedLine[] = [];
  for (const a of previousArchives(home, sel, services, opts.retention, opts.nowMs)) {
    const src = { service: a.meta.service, replica: a.meta.replica, logDir: a.dir };
    lines.push(...toLines(src, readAllLogRecords(a.dir, { includeCurrent: true, keep: opts.keep }), opts.since));
  }
  lines.sort(byTime);
  if (opts.tail !== undefined) lines = opts.tail > 0 ? lines.slice(-opts.tail) : [];
  return lines;
}

/** The merged log stream of a selection; see Runtime.logs. */
export async function* readReplicaLogs(
  home: string,
  sel: LogSelector,
  opts: {
    follow: boolean;
    since?: Date;
    tail?: number;
    signal?: AbortSignal;
    keep: number;
    retention: LogRetention;
    nowMs: number;
  },
): AsyncGenerator<LogLine> {
  if (sel.previous) {
    yield* linesOf(previousLines(home, sel, opts));
    return;
  }
  const followers = new Map<string, { src: Source; follower: LogFollower }>();
  try {
    let first: TimedLine[] = [];
    for (const src of sources(home, sel)) {
      if (!opts.follow) {
        first.push(
          ...toLines(src, readAllLogRecords(src.logDir, { includeCurrent: true, keep: opts.keep }), opts.since),
        );
        continue;
      }
      // Rotated files are complete; the follower reads current.log from its start and then onwards.
      const follower = new LogFollower(src.logDir, false);
      followers.set(src.logDir, { src, follower });
      first.push(
        ...toLines(src, readAllLogRecords(src.logDir, { includeCurrent: false, keep: opts.keep }), opts.since),
      );
      first.push(...toLines(src, follower.poll(), opts.since));
    }
    first.sort(byTime);
    if (opts.tail !== undefined) first = opts.tail > 0 ? first.slice(-opts.tail) : [];
    yield* linesOf(first);
    if (!opts.follow) return;
    while (!opts.signal?.aborted) {
      await sleep(FOLLOW_POLL_MS, opts.signal);
      if (opts.signal?.aborted) break;
      const batch: TimedLine[] = [];
      for (const src of sources(home, sel)) {
        if (followers.has(src.logDir)) continue;
        followers.set(src.logDir, { src, follower: new LogFollower(src.logDir, false) });
      }
      for (const { src, follower } of followers.values()) batch.push(...toLines(src, follower.poll(), opts.since));
      batch.sort(byTime);
      yield* linesOf(batch);
    }
  } finally {
    for (const { follower } of followers.values()) follower.close();
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
