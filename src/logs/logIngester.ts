/**
 * Follows every replica's log files into the index. Each look lists the files, reads what each
 * gained since its cursor (complete lines only) and writes lines and cursors in one transaction
 * per batch, so a control plane killed at any point reads on from the last committed batch:
 * nothing twice, nothing lost (unless rotation deleted a file before it was read). Retention runs
 * beside it, per environment.
 */
import { closeSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import type { FileCursor, IncomingLine, LogIndex } from './logIndex.js';
import { DEFAULT_LOG_INDEX_RETENTION, type LogIndexRetention } from '../model/logSearch.js';
import type { ReplicaLogFile } from '../model/logFiles.js';
import { recordTimeMs } from '../model/logTime.js';

/** Where the lines come from: the files, and how one stored line reads (time, stream, text). */
export interface LogFileSource {
  files(opts: { skipArchive: (dir: string) => boolean }): ReplicaLogFile[];
  parseRecord(raw: string): { time: string; stream: 'stdout' | 'stderr'; line: string } | undefined;
  /**
   * The directories whose changes (a line written, a file or folder created, renamed or removed) can
   * bring new lines. When given, a quiet ingester watches them (inotify) and looks again only when one
   * changes, or after `idleLookMs`, instead of listing every file every few seconds.
   */
  watchDirs?(): string[];
}

export type IndexRetention = LogIndexRetention;
export const DEFAULT_INDEX_RETENTION = DEFAULT_LOG_INDEX_RETENTION;

export interface LogIngesterOptions {
  index: LogIndex;
  source: LogFileSource;
  /** Between looks when there was nothing new. Default 500 ms. */
  pollMs?: number;
  /**
   * Between looks of a quiet ingester that watches the source's directories: a safety net for a
   * change the watches missed (a directory that could not be watched). Default 60 s (retention runs then too).
   */
  idleLookMs?: number;
  /** Bytes read from one file per batch. Default 1 MiB. */
  chunkBytes?: number;
  /**
   * Lines per transaction. Default 1000: the index is written on the control plane's event loop,
   * and a batch is about a tenth of a second of it on a small machine.
   */
  batchLines?: number;
  /** Lines one look indexes at most before it yields to the event loop (a backlog is read over several). Default one batch. */
  lookLines?: number;
  retentionOf?: (env: string) => IndexRetention;
  /** Between retention runs. Default 60 s. */
  retentionEveryMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export interface LogIngester {
  /** One look: reads everything new into the index; answers how many lines it indexed. */
  runOnce(): number;
  /** Applies the retention of every environment; answers how many lines went. */
  prune(): number;
  start(): void;
  stop(): Promise<void>;
  /** True while quiet and waiting for a change of the watched folders (no look until one comes). */
  sleeping(): boolean;
}

const FINGERPRINT_BYTES = 64;
/** Files missing from this many looks in a row lose their cursor (a look can race a rename once). */
const FORGET_AFTER_MISSES = 3;
/** Quiet looks in a row after which the ingester looks QUIET_FACTOR times less often, until a line comes. */
const QUIET_LOOKS = 10;
const QUIET_FACTOR = 4;

export function createLogIngester(opts: LogIngesterOptions): LogIngester {
  const { index, source } = opts;
  const chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  const batchLines = opts.batchLines ?? 1000;
  const lookLines = opts.lookLines ?? batchLines;
  // One read buffer for every file (each chunk is decoded to strings before the next read).
  const chunk = Buffer.allocUnsafe(chunkBytes);
  const now = opts.now ?? Date.now;
  const retentionOf = opts.retentionOf ?? (() => DEFAULT_INDEX_RETENTION);
  const cursors = index.cursors();
  const misses = new Map<string, number>();
  // Archives read to their end: immutable, not looked at again in this process.
  const doneArchives = new Set<string>();

  const runOnce = (): number => {
    const files = source.files({ skipArchive: (dir) => doneArchives.has(dir) });
    forgetMissing(new Set(files.map((f) => f.fileId)));
    let total = 0;
    let lines: IncomingLine[] = [];
    let moved: FileCursor[] = [];
    const commit = (): void => {
      if (lines.length === 0 && moved.length === 0) return;
      index.append(lines, moved);
      for (const c of moved) cursors.set(c.fileId, c);
      total += lines.length;
      lines = [];
      moved = [];
    };
    const archiveDone = new Map<string, boolean>();
    for (const f of files) {
      if (total + lines.length >= lookLines) break;
      const dir = f.path.slice(0, f.path.lastIndexOf('/'));
      let complete = true;
      for (;;) {
        const got = readFrom(f, cursors.get(f.fileId), lookLines - total - lines.length);
        if (!got) break;
        for (const raw of got.raws) {
          const rec = source.parseRecord(raw);
          if (!rec) continue;
          // To the microsecond (Date.parse stops at the millisecond): two services' lines of one
          // millisecond keep their order in a search.
          const timeMs = recordTimeMs(rec.time);
          if (!Number.isFinite(timeMs)) continue;
          lines.push({
            timeMs,
            app: f.app,
            env: f.env,
            service: f.service,
            replica: f.replica,
            stream: rec.stream,
            raw: rec.line,
          });
        }
        const cursor = got.cursor;
        moved.push(cursor);
        cursors.set(f.fileId, cursor); // the next chunk of this file reads on from here
        if (lines.length >= batchLines) commit();
        if (cursor.offset >= f.size || total + lines.length >= lookLines) break;
      }
      if ((cursors.get(f.fileId)?.offset ?? 0) < f.size) complete = false;
      if (f.archived) archiveDone.set(dir, (archiveDone.get(dir) ?? true) && complete);
    }
    commit();
    // An archive is done when every file of it was read to its end in this look.
    for (const [dir, done] of archiveDone) if (done) doneArchives.add(dir);
    return total;
  };

  /** The complete lines of `f` after its cursor, up to chunkBytes and maxLines; undefined when nothing new. */
  const readFrom = (
    f: ReplicaLogFile,
    known: FileCursor | undefined,
    maxLines: number,
  ): { raws: string[]; cursor: FileCursor } | undefined => {
    let fd: number;
    try {
      fd = openSync(f.path, 'r');
    } catch {
      return undefined; // rotated or archived since the listing: the next look finds it
    }
    try {
      const head = Buffer.alloc(FINGERPRINT_BYTES);
      const headLen = readSync(fd, head, 0, FINGERPRINT_BYTES, 0);
      const nl = head.subarray(0, headLen).indexOf(10);
      const fingerprint = head.subarray(0, nl >= 0 ? nl : headLen).toString('latin1');
      // A cursor of another file that had this inode before starts the new one from its beginning.
      const from = known && sameFile(known.fingerprint, fingerprint) ? known.offset : 0;
      // Nothing new (the listing's size; a file that grew since is read on the next look): no read,
      // which keeps an idle control plane from copying a chunk per file per look.
      if (from >= f.size) return undefined;
      const n = readSync(fd, chunk, 0, chunkBytes, from);
      if (n <= 0) return undefined;
      const buf = chunk;
      let end = endOfLines(buf.subarray(0, n), maxLines);
      // A line longer than a chunk is cut there rather than blocking the file.
      if (end === 0 && n === chunkBytes) end = n;
      if (end === 0) return undefined;
      const text = buf.subarray(0, end).toString('utf8');
      const raws = text.split('\n');
      if (raws.at(-1) === '') raws.pop();
      return { raws, cursor: { fileId: f.fileId, fingerprint, offset: from + end } };
    } finally {
      closeSync(fd);
    }
  };

  const forgetMissing = (seen: Set<string>): void => {
    const gone: string[] = [];
    for (const id of cursors.keys()) {
      if (seen.has(id)) {
        misses.delete(id);
        continue;
      }
      const m = (misses.get(id) ?? 0) + 1;
      misses.set(id, m);
      if (m >= FORGET_AFTER_MISSES) gone.push(id);
    }
    if (gone.length === 0) return;
    index.dropCursors(gone);
    for (const id of gone) {
      cursors.delete(id);
      misses.delete(id);
    }
  };

  const prune = (): number => {
    let n = 0;
    for (const env of index.environments()) {
      const r = retentionOf(env);
      n += index.prune(env, { beforeMs: now() - r.maxAgeMs, maxBytes: r.maxBytes });
    }
    return n;
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let lastPrune = 0;
  let quietLooks = 0;
  // While quiet, the source's directories are watched; any change wakes the ingester (the watches
  // are closed again while it looks at its usual pace, so a chatty service costs no callback per write).
  const watchers: FSWatcher[] = [];
  let asleep = false;
  const unwatch = (): void => {
    for (const w of watchers.splice(0)) w.close();
  };
  const wake = (): void => {
    if (!asleep || stopped) return;
    asleep = false;
    unwatch();
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, 0);
  };
  /** Watches every directory of the source; false when one could not be watched (then it keeps polling). */
  const watchAll = (dirs: string[]): boolean => {
    for (const dir of dirs) {
      try {
        const w = watch(dir, { persistent: false }, wake);
        w.on('error', wake);
        watchers.push(w);
      } catch {
        unwatch();
        return false;
      }
    }
    return true;
  };
  /** Goes to sleep until a watched directory changes: watches first, then one more look, so no change falls between. */
  const sleepIfQuiet = (): boolean => {
    if (!source.watchDirs || stopped) return false;
    if (!watchAll(source.watchDirs())) return false;
    asleep = true;
    if (runOnce() > 0) {
      asleep = false;
      unwatch();
      quietLooks = 0;
      return false;
    }
    return true;
  };
  const tick = (): void => {
    asleep = false;
    unwatch();
    running = (async () => {
      try {
        // Keep going while there is more (a backlog), yielding to the event loop between looks.
        let got = 0;
        for (let n; !stopped && (n = runOnce()) > 0; got += n) await new Promise((r) => setImmediate(r));
        quietLooks = got > 0 ? 0 : quietLooks + 1;
        if (!stopped && now() - lastPrune >= (opts.retentionEveryMs ?? 60_000)) {
          lastPrune = now();
          prune();
        }
      } catch (err) {
        opts.onError?.(err);
      }
    })();
    void running.then(() => {
      if (stopped) return;
      const pollMs = opts.pollMs ?? 500;
      if (quietLooks < QUIET_LOOKS) {
        timer = setTimeout(tick, pollMs);
        return;
      }
      // Quiet: sleep until a watched directory changes (a safety look now and then), or, without
      // watches, look QUIET_FACTOR times less often: each look lists and stats every replica's files,
      // which adds up with 100+ replicas doing nothing.
      let slept = false;
      try {
        slept = sleepIfQuiet();
      } catch (err) {
        asleep = false;
        unwatch();
        opts.onError?.(err);
      }
      timer = setTimeout(tick, slept ? (opts.idleLookMs ?? 60_000) : pollMs * QUIET_FACTOR);
    });
  };
  return {
    runOnce,
    prune,
    sleeping: () => asleep,
    start() {
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      asleep = false;
      unwatch();
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** The same file: the fingerprint was taken from its first line, complete or (in a young file) not yet. */
function sameFile(stored: string, current: string): boolean {
  return stored === current || (stored.length < FINGERPRINT_BYTES && current.startsWith(stored));
}

/** The byte offset after the last complete line of `buf`, or after its `maxLines`-th line. */
function endOfLines(buf: Buffer, maxLines: number): number {
  let end = 0;
  for (let count = 0; count < maxLines; count++) {
    const nl = buf.indexOf(10, end);
    if (nl < 0) break;
    end = nl + 1;
  }
  return end;
}
