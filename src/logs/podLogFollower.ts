/**
 * Follows pods' logs (Kubernetes) into the log index: one follow stream per pod from the log
 * endpoint, resumed after a restart from the pod's cursor — the newest indexed line's timestamp and
 * how many lines of exactly that timestamp were taken — so lines are neither lost nor indexed twice
 * as far as the endpoint allows (it resumes from a whole second; the kubelet's nanosecond
 * timestamps tell the lines of that second apart). Lines and the cursors they move are written in
 * one transaction. What the follower cannot see: lines the node rotated away before they were read
 * (while the control plane was down longer than the kubelet keeps them), and the log of a container
 * instance that restarted while nobody followed (the endpoint serves the current instance; only
 * the one before it, with `previous`).
 */
import type { IncomingLine, LogIndex, PodCursor } from './logIndex.js';
import { recordTimeMs } from '../model/logTime.js';

/** A pod whose log is followed. */
export interface PodRef {
  /** `<namespace>/<pod>/<container>`. */
  key: string;
  uid: string;
  app: string;
  env: string;
  service: string;
  /** The pod's name: the replica. */
  pod: string;
}

/** The cluster side: the pods to follow, and one pod's timestamped log lines. */
export interface PodLogSource {
  pods(): Promise<PodRef[]>;
  /**
   * The pod's log lines from `sinceTime` (RFC 3339, whole seconds; all when undefined) as the
   * endpoint sends them with timestamps (`<RFC 3339 nano> <text>`), following until the stream ends
   * (the container stopped, the pod went) or `signal` aborts.
   */
  follow(pod: PodRef, sinceTime: string | undefined, signal: AbortSignal): AsyncIterable<string>;
}

export interface PodLogFollowerOptions {
  index: LogIndex;
  source: PodLogSource;
  /** Between listings of the pods. Default 2 s. */
  pollMs?: number;
  /** Longest a line waits before its batch is written. Default 250 ms. */
  flushMs?: number;
  /** Lines per transaction at most. Default 1000. */
  batchLines?: number;
  onError?: (err: unknown) => void;
}

export interface PodLogFollower {
  start(): void;
  stop(): Promise<void>;
}

/** `2024-05-01T10:00:00.1234Z` → `2024-05-01T10:00:00.123400000Z`; undefined when it is no RFC 3339 UTC time. */
export function normalizeTimestamp(ts: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(ts);
  if (!m) return undefined;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/** Pods missing from this many listings in a row lose their cursor. */
const FORGET_AFTER_MISSES = 3;

export function createPodLogFollower(opts: PodLogFollowerOptions): PodLogFollower {
  const { index, source } = opts;
  const flushMs = opts.flushMs ?? 250;
  const batchLines = opts.batchLines ?? 1000;
  const cursors = index.podCursors();
  const misses = new Map<string, number>();
  const following = new Map<string, { abort: AbortController; done: Promise<void> }>();
  let pending: IncomingLine[] = [];
  const moved = new Map<string, PodCursor>();
  let flushTimer: NodeJS.Timeout | undefined;
  let stopped = true;
  let listTimer: NodeJS.Timeout | undefined;
  let listing: Promise<void> | undefined;

  const flush = (): void => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    if (pending.length === 0 && moved.size === 0) return;
    const lines = pending;
    const cs = [...moved.values()];
    pending = [];
    moved.clear();
    try {
      index.append(lines, [], cs);
    } catch (err) {
      opts.onError?.(err);
      // Not written: the streams restart from the cursors the index has.
      for (const f of following.values()) f.abort.abort();
      for (const [k, c] of index.podCursors()) cursors.set(k, c);
    }
  };

  const followPod = async (pod: PodRef, signal: AbortSignal): Promise<void> => {
    let cursor = cursors.get(pod.key);
    if (cursor && cursor.uid !== pod.uid) cursor = undefined; // a new pod under the old name
    const sinceTime = cursor ? `${cursor.time.slice(0, 19)}Z` : undefined;
    let seenAtCursor = 0;
    for await (const raw of source.follow(pod, sinceTime, signal)) {
      const sp = raw.indexOf(' ');
      const time = normalizeTimestamp(sp < 0 ? raw : raw.slice(0, sp));
      if (time === undefined) continue;
      if (cursor) {
        if (time < cursor.time) continue;
        if (time === cursor.time && seenAtCursor < cursor.sameTime) {
          seenAtCursor++;
          continue;
        }
      }
      cursor =
        cursor && time === cursor.time
          ? { ...cursor, sameTime: cursor.sameTime + 1 }
          : { podKey: pod.key, uid: pod.uid, time, sameTime: 1 };
      seenAtCursor = cursor.sameTime;
      cursors.set(pod.key, cursor);
      moved.set(pod.key, cursor);
      pending.push({
        timeMs: recordTimeMs(time),
        app: pod.app,
        env: pod.env,
        service: pod.service,
        replica: pod.pod,
        // The log endpoint merges a container's stdout and stderr.
        stream: 'stdout',
        raw: sp < 0 ? '' : raw.slice(sp + 1),
      });
      if (pending.length >= batchLines) flush();
      else flushTimer ??= setTimeout(flush, flushMs);
    }
  };

  const look = async (): Promise<void> => {
    let pods: PodRef[];
    try {
      pods = await source.pods();
    } catch (err) {
      opts.onError?.(err);
      return;
    }
    const seen = new Set(pods.map((p) => p.key));
    for (const pod of pods) {
      if (following.has(pod.key) || stopped) continue;
      const abort = new AbortController();
      const done = followPod(pod, abort.signal)
        .catch((err: unknown) => {
          if (!abort.signal.aborted) opts.onError?.(err);
        })
        .finally(() => following.delete(pod.key)); // the next look follows it again if it is still there
      following.set(pod.key, { abort, done });
    }
    const gone: string[] = [];
    for (const key of cursors.keys()) {
      if (seen.has(key)) {
        misses.delete(key);
        continue;
      }
      const m = (misses.get(key) ?? 0) + 1;
      misses.set(key, m);
      if (m >= FORGET_AFTER_MISSES && !following.has(key)) gone.push(key);
    }
    if (gone.length > 0) {
      flush();
      index.dropPodCursors(gone);
      for (const k of gone) {
        cursors.delete(k);
        misses.delete(k);
      }
    }
  };

  const tick = (): void => {
    listing = look().finally(() => {
      if (!stopped) listTimer = setTimeout(tick, opts.pollMs ?? 2000);
    });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      if (listTimer) clearTimeout(listTimer);
      await listing;
      const all = [...following.values()];
      for (const f of all) f.abort.abort();
      await Promise.all(all.map((f) => f.done));
      flush();
    },
  };
}
