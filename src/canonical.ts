/** Canonical JSON (sorted keys, no whitespace) and content hashes over it: the same content, the same hash. */
import { hash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal values serialise identically. */
export function canonicalJSON(value: unknown): string {
  // A sorted copy printed by JSON.stringify: a serialiser written here that sorts as it prints (no
  // copy) measured no faster on a render's values, so the copy stays.
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** sha256 hex of the canonical JSON of `value` (one-shot `crypto.hash`: no Hash object per call). */
export function contentHash(value: unknown): string {
  return hash('sha256', canonicalJSON(value));
}
