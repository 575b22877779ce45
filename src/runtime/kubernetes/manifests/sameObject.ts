/**
 * Whether an object built now prints the same YAML as one printed before but for Berth's release
 * annotation values (`berth.dev/revision`, `config-version`, `config-checksum`, `hash`, the values
 * the emitter cuts out of a document, see toYaml.ts): then its document is the old one with those
 * values printed anew (`recut`), and its schema verdict is the old one's (the validation key leaves
 * them out too). A config change that every service reads changes a service's ConfigMap and its pods'
 * checksum; its Service, autoscaler and disruption budget come out the same and are not printed again.
 */
import { RELEASE_KEYS, RELEASE_VALUE } from './toYaml.js';

/**
 * True when `now` prints as `old` but for release annotation values; those of `now` are pushed to
 * `values` in the order the emitter prints them. Mirrors the emitter: the same keys in the same order
 * (so the same lines), plain objects and arrays only, scalars equal.
 */
export function sameButReleaseValues(old: unknown, now: unknown, values: string[]): boolean {
  if (old === null || now === null || typeof old !== 'object' || typeof now !== 'object') return old === now;
  if (Array.isArray(old)) {
    if (!Array.isArray(now) || old.length !== now.length) return false;
    for (let i = 0; i < old.length; i++) if (!sameButReleaseValues(old[i], now[i], values)) return false;
    return true;
  }
  if (Array.isArray(now) || !plain(old) || !plain(now)) return false;
  const a = old as Record<string, unknown>;
  const b = now as Record<string, unknown>;
  const keys = Object.keys(a);
  const nowKeys = Object.keys(b);
  if (keys.length !== nowKeys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (nowKeys[i] !== k) return false;
    const x = a[k];
    const y = b[k];
    if (RELEASE_KEYS.has(k)) {
      const cutX = typeof x === 'string' && RELEASE_VALUE.test(x);
      const cutY = typeof y === 'string' && RELEASE_VALUE.test(y);
      if (cutX !== cutY) return false;
      if (cutY) {
        values.push(y);
        continue;
      }
    }
    if (!sameButReleaseValues(x, y, values)) return false;
  }
  return true;
}

function plain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
