import { describe, expect, it } from 'vitest';
import { freeSlots, planStateful } from './statefulRollout.js';
import type { IndexedReplica } from './statefulRollout.js';

const r = (index: number | undefined, hash = 'new', serving = true, terminating = false): IndexedReplica => ({
  id: `db-${index ?? 'x'}-${hash}`,
  record: index !== undefined ? { index } : {},
  hash,
  serving,
  terminating,
});

describe('planStateful', () => {
  it('starts index 0 first and the next only once every lower index is ready', () => {
    expect(planStateful(3, 'new', [], 0)).toEqual({ kind: 'start', index: 0 });
    expect(planStateful(3, 'new', [r(0, 'new', false)], 0)).toEqual({ kind: 'wait' });
    expect(planStateful(3, 'new', [r(0)], 0)).toEqual({ kind: 'start', index: 1 });
    expect(planStateful(3, 'new', [r(0)], 1)).toEqual({ kind: 'wait' });
    expect(planStateful(3, 'new', [r(0), r(1)], 0)).toEqual({ kind: 'start', index: 2 });
    // A hole (replica 1 deleted) is filled before anything else happens above it.
    expect(planStateful(3, 'new', [r(0), r(2)], 0)).toEqual({ kind: 'start', index: 1 });
    expect(planStateful(3, 'new', [r(0), r(1), r(2)], 0)).toEqual({ kind: 'done' });
  });

  it('stops surplus replicas from the highest index down, one at a time', () => {
    const all = [r(0), r(1), r(2)];
    expect(planStateful(1, 'new', all, 0)).toEqual({ kind: 'stop', id: 'db-2-new' });
    expect(planStateful(1, 'new', [r(0), r(1), r(2, 'new', false, true)], 0)).toEqual({ kind: 'wait' });
    expect(planStateful(1, 'new', [r(0), r(1)], 0)).toEqual({ kind: 'stop', id: 'db-1-new' });
    expect(planStateful(0, 'new', [r(0)], 0)).toEqual({ kind: 'stop', id: 'db-0-new' });
  });

  it('updates from the highest index down, each replaced replica ready before the next', () => {
    const old = [r(0, 'old'), r(1, 'old'), r(2, 'old')];
    expect(planStateful(3, 'new', old, 0)).toEqual({ kind: 'stop', id: 'db-2-old' });
    // Replica 2 gone: it comes back (same index) with the new version, then 1 is replaced.
    expect(planStateful(3, 'new', [r(0, 'old'), r(1, 'old')], 0)).toEqual({ kind: 'start', index: 2 });
    expect(planStateful(3, 'new', [r(0, 'old'), r(1, 'old'), r(2, 'new', false)], 0)).toEqual({ kind: 'wait' });
    expect(planStateful(3, 'new', [r(0, 'old'), r(1, 'old'), r(2)], 0)).toEqual({ kind: 'stop', id: 'db-1-old' });
    expect(planStateful(3, 'new', [r(0, 'old'), r(1), r(2)], 0)).toEqual({ kind: 'stop', id: 'db-0-old' });
  });

  it('replaces a not-ready replica of another version at once (a rollback gets past a broken update)', () => {
    expect(planStateful(3, 'old', [r(0, 'old'), r(1, 'old'), r(2, 'broken', false)], 0)).toEqual({
      kind: 'stop',
      id: 'db-2-broken',
    });
  });

  it('treats replicas without an index, or a second one of an index, as surplus', () => {
    expect(planStateful(2, 'new', [r(0), r(undefined)], 0)).toEqual({ kind: 'stop', id: 'db-x-new' });
    const dup = { ...r(0, 'old'), id: 'db-0-dup' };
    expect(planStateful(2, 'new', [r(0), dup, r(1)], 0)).toEqual({ kind: 'stop', id: 'db-0-dup' });
  });
});

describe('freeSlots', () => {
  it('gives the lowest slots not taken', () => {
    expect(freeSlots([], 3)).toEqual([0, 1, 2]);
    expect(freeSlots([0, 2, undefined], 2)).toEqual([1, 3]);
    expect(freeSlots([1], 0)).toEqual([]);
  });
});
