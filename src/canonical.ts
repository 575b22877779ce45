/** Canonical JSON (sorted keys, no whitespace) and content hashes over it: the same content, the same hash. */
import { hash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal values serialise identically. */
export function canonicalJSON(value: unknown): string {
  // A sorted copy printed by JSON.stringify: a serialiser written here that sorts as it prints (no
  // copy) measured no faster on a render's values, so the copy stays.
  return JSON.stringify(sortKeys(value));
}

/**
 * `canonicalJSON(obj)` for a plain object some of whose values the caller has as canonical text already
 * (`known(key, value)`, undefined for the others): the same text, without serialising those again
 * (a workload's hash takes its spec's ports, resources and probes from a per-spec cache).
 */
export function canonicalObjectJSON(
  obj: Record<string, unknown>,
  known: (key: string, value: unknown) => string | undefined,
): string {
  // Keys in the order JSON.stringify prints sortKeys' copy: array-index keys first, in numeric order.
  const keys = Object.keys(obj).sort();
  const order = keys.some((k) => /^(0|[1-9]\d*)$/.test(k))
    ? Object.keys(Object.fromEntries(keys.map((k) => [k, 0])))
    : keys;
  let out = '';
  for (const k of order) {
    const v = obj[k];
    if (v === undefined) continue;
    out += `${out === '' ? '{' : ','}${JSON.stringify(k)}:${known(k, v) ?? canonicalJSON(v)}`;
  }
  return out === '' ? '{}' : `${out}}`;
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
