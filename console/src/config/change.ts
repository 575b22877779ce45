/** The edits made to a config version's values, and the API change they amount to. */
import type { ConfigView } from '../api/types';

/** One row of the values editor. */
export interface ValueRow {
  key: string;
  value: string;
  secret: boolean;
  /** Added in this edit (not in the version it is based on). */
  isNew: boolean;
  removed: boolean;
}

/** The editor's rows for a version. */
export function rowsOf(view: ConfigView): ValueRow[] {
  return Object.entries(view.values)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, v]) => ({ key, value: v.value, secret: v.secret, isNew: false, removed: false }));
}

/** What the rows change against `view`: keys to set (with secrecy for new keys) and keys to remove. */
export function changeOf(
  view: ConfigView,
  rows: ValueRow[],
): { set: Record<string, { value: string; secret?: boolean }>; unset: string[] } {
  const set: Record<string, { value: string; secret?: boolean }> = {};
  const unset: string[] = [];
  for (const r of rows) {
    const before = view.values[r.key];
    if (r.removed) {
      if (before && !r.isNew) unset.push(r.key);
      continue;
    }
    if (!before || r.isNew) set[r.key] = { value: r.value, secret: r.secret };
    else if (r.value !== before.value) set[r.key] = { value: r.value };
  }
  return { set, unset };
}

/**
 * Problems the server cannot see once rows become an object: empty or repeated keys. Everything else
 * (key syntax, sizes) the server checks and reports with its field path.
 */
export function rowProblems(rows: ValueRow[]): { key: string; problem: 'empty' | 'duplicate' }[] {
  const seen = new Set<string>();
  const out: { key: string; problem: 'empty' | 'duplicate' }[] = [];
  for (const r of rows) {
    if (r.removed) continue;
    if (r.key.trim() === '') out.push({ key: r.key, problem: 'empty' });
    else if (seen.has(r.key)) out.push({ key: r.key, problem: 'duplicate' });
    seen.add(r.key);
  }
  return out;
}
