import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJSON, canonicalObjectJSON, contentHash } from './canonical.js';

describe('canonicalJSON', () => {
  it('sorts keys at every level, array-index keys first in numeric order as JSON.stringify lists them', () => {
    expect(canonicalJSON({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined }, 10: 'x', 2: 'y', '01': 'z' })).toBe(
      '{"2":"y","10":"x","01":"z","a":{"d":[{"y":2,"z":1}]},"b":1}',
    );
  });

  it('leaves out undefined fields and prints undefined list items as null, as JSON does', () => {
    expect(canonicalJSON({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });
});

describe('contentHash', () => {
  it('is the sha256 hex of the canonical JSON, the same for the same content in another key order', () => {
    const hex = createHash('sha256').update('{"a":1,"b":[2,{"c":3}]}').digest('hex');
    expect(contentHash({ b: [2, { c: 3 }], a: 1 })).toBe(hex);
    expect(contentHash({ a: 1, b: [2, { c: 3 }] })).toBe(hex);
    expect(contentHash({ a: 2, b: [2, { c: 3 }] })).not.toBe(hex);
  });
  it('canonicalObjectJSON prints what canonicalJSON prints, taking the texts the caller already has', () => {
    const obj = { z: [2, { b: 1, a: undefined }], a: { y: 1, x: 'é' }, m: undefined, '10': 1, '2': null };
    expect(canonicalObjectJSON(obj, () => undefined)).toBe(canonicalJSON(obj));
    expect(canonicalObjectJSON(obj, (k, v) => (k === 'a' ? canonicalJSON(v) : undefined))).toBe(canonicalJSON(obj));
    expect(canonicalObjectJSON({ a: 1, b: 2 }, (k) => (k === 'b' ? '"given"' : undefined))).toBe('{"a":1,"b":"given"}');
    expect(canonicalObjectJSON({ m: undefined }, () => undefined)).toBe(canonicalJSON({}));
  });
});
