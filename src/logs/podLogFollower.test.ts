/**
 * The pod log follower's cursor over a real index file: a stream cut in the middle of lines that
 * share one timestamp resumes from the whole second (as the log endpoint does) and takes each line
 * once; a new pod under an old name starts afresh.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLogIndex, type LogIndex } from './logIndex.js';
import { createPodLogFollower, normalizeTimestamp, type PodLogSource, type PodRef } from './podLogFollower.js';

const pod = (uid: string): PodRef => ({
  key: 'ns/web-1/web',
  uid,
  app: 'shop',
  env: 'prod',
  service: 'web',
  pod: 'web-1',
});

/** A pod whose log is `lines`; each follow serves from sinceTime's second and then `cut` lines at most. */
function source(
  lines: string[],
  uid: () => string,
  cut: () => number,
): PodLogSource & { asked: (string | undefined)[] } {
  const asked: (string | undefined)[] = [];
  return {
    asked,
    pods: async () => [pod(uid())],
    async *follow(_p, sinceTime) {
      asked.push(sinceTime);
      const from = sinceTime ? Date.parse(sinceTime) : 0;
      let n = 0;
      for (const l of lines) {
        if (Date.parse(l.slice(0, l.indexOf(' '))) < from) continue;
        if (n++ >= cut()) return;
        yield l;
      }
    },
  };
}

describe('the pod log follower', () => {
  let dir: string;
  let index: LogIndex;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-podlogs-'));
    index = openLogIndex(join(dir, 'logindex.db'));
  });
  afterEach(() => {
    index.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const texts = (): string[] => index.search({ app: 'shop', env: 'prod', limit: 100 }).lines.map((l) => l.line);
  const settle = () => new Promise((r) => setTimeout(r, 150));

  it('normalizes the kubelet’s timestamps to nanoseconds, so they sort as text', () => {
    expect(normalizeTimestamp('2026-12-06T10:00:00.1234Z')).toBe('2026-12-06T10:00:00.123400000Z');
    expect(normalizeTimestamp('2026-12-06T10:00:00Z')).toBe('2026-12-06T10:00:00.000000000Z');
    expect(normalizeTimestamp('yesterday')).toBeUndefined();
  });

  it('resumes in the middle of lines of one timestamp without losing or repeating one', async () => {
    const same = '2026-12-06T10:00:05.123456789Z';
    const lines = [
      '2026-12-06T10:00:04.900000000Z before',
      `${same} a`,
      `${same} b`,
      `${same} c`,
      '2026-12-06T10:00:05.5Z after',
      '2026-12-06T10:00:06Z last',
    ];
    let cut = 2; // the first stream ends after "before" and "a"
    const src = source(
      lines,
      () => 'uid-1',
      () => cut,
    );
    let f = createPodLogFollower({ index, source: src, pollMs: 60_000, flushMs: 5 });
    f.start();
    await settle();
    await f.stop();
    expect(texts()).toEqual(['before', 'a']);
    expect(index.podCursors().get('ns/web-1/web')).toMatchObject({ time: same, sameTime: 1 });
    cut = 3; // the resumed stream repeats the second's "a" (skipped), then b and c, and ends
    f = createPodLogFollower({ index, source: src, pollMs: 60_000, flushMs: 5 });
    f.start();
    await settle();
    await f.stop();
    expect(texts()).toEqual(['before', 'a', 'b', 'c']);
    expect(index.podCursors().get('ns/web-1/web')).toMatchObject({ time: same, sameTime: 3 });
    cut = 100; // from the second again: a, b, c skipped by the count, then the rest
    f = createPodLogFollower({ index, source: src, pollMs: 60_000, flushMs: 5 });
    f.start();
    await settle();
    await f.stop();
    expect(texts()).toEqual(['before', 'a', 'b', 'c', 'after', 'last']);
    expect(src.asked).toEqual([undefined, '2026-12-06T10:00:05Z', '2026-12-06T10:00:05Z']);
    // The kubelet's timestamps to the microsecond in the index.
    const timeOf = (text: string): string => index.search({ app: 'shop', env: 'prod', text, limit: 1 }).lines[0]!.time;
    expect(timeOf('after')).toBe('2026-12-06T10:00:05.500000Z');
    expect(timeOf('b')).toBe('2026-12-06T10:00:05.123456Z');
  });

  it('reads a new pod under an old name from its beginning', async () => {
    let uid = 'uid-1';
    const lines = ['2026-12-06T10:00:00Z one'];
    const src = source(
      lines,
      () => uid,
      () => 100,
    );
    let f = createPodLogFollower({ index, source: src, pollMs: 60_000, flushMs: 5 });
    f.start();
    await settle();
    await f.stop();
    uid = 'uid-2';
    f = createPodLogFollower({ index, source: src, pollMs: 60_000, flushMs: 5 });
    f.start();
    await settle();
    await f.stop();
    expect(texts()).toEqual(['one', 'one']);
    expect(src.asked.at(-1)).toBeUndefined();
  });
});
