import { describe, expect, it } from 'vitest';
import type { ConfigView } from '../api/types';
import { changeOf, rowProblems, rowsOf } from './change';

const view: ConfigView = {
  app: 'shop',
  env: 'local',
  version: 3,
  author: 'me',
  message: null,
  createdAt: null,
  summary: { added: [], changed: [], removed: [], madePlain: [], madeSecret: [] },
  values: { A: { value: '1', secret: false }, S: { value: '******', secret: true }, Z: { value: 'z', secret: false } },
  files: {},
};

describe('config value edits', () => {
  it('is no change when nothing was edited', () => {
    expect(changeOf(view, rowsOf(view))).toEqual({ set: {}, unset: [] });
  });

  it('sets changed and new values (secrecy only for new keys) and unsets removed ones', () => {
    const rows = rowsOf(view);
    rows[0]!.value = '2';
    rows[2]!.removed = true;
    rows.push({ key: 'NEW', value: 'n', secret: true, isNew: true, removed: false });
    rows.push({ key: 'GONE', value: 'x', secret: false, isNew: true, removed: true });
    expect(changeOf(view, rows)).toEqual({
      set: { A: { value: '2' }, NEW: { value: 'n', secret: true } },
      unset: ['Z'],
    });
  });

  it('leaves a masked secret alone until a new value is typed', () => {
    const rows = rowsOf(view);
    expect(changeOf(view, rows).set.S).toBeUndefined();
    rows[1]!.value = 'real';
    expect(changeOf(view, rows).set.S).toEqual({ value: 'real' });
  });

  it('reports empty and repeated keys', () => {
    const rows = [
      ...rowsOf(view),
      { key: '', value: '', secret: false, isNew: true, removed: false },
      { key: 'A', value: '', secret: false, isNew: true, removed: false },
    ];
    expect(rowProblems(rows)).toEqual([
      { key: '', problem: 'empty' },
      { key: 'A', problem: 'duplicate' },
    ]);
  });
});
