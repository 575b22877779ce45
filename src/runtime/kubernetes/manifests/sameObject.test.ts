import { describe, expect, it } from 'vitest';
import { sameButReleaseValues } from './sameObject.js';
import { objectToYaml, recut, yamlDocuments } from './toYaml.js';

const object = (hash: string, revision: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'api', annotations: { 'berth.dev/revision': revision, 'berth.dev/hash': hash } },
  spec: { ports: [{ port: 80 }], ...extra },
});

describe('sameButReleaseValues', () => {
  it('finds objects equal but for release annotation values, whose recut document is the new one printed', () => {
    const old = object('abc', '1');
    const now = object('def', '12');
    const values: string[] = [];
    expect(sameButReleaseValues(old, now, values)).toBe(true);
    expect(values).toEqual(['12', 'def']);
    const printed = yamlDocuments([old]);
    const d = { doc: printed.docs[0]!, cuts: printed.cuts(0), stamps: printed.stamps(0) };
    expect(recut(d, values).doc).toBe(objectToYaml(now));
  });

  it('tells apart anything else the YAML would show', () => {
    const differs = (a: unknown, b: unknown) => expect(sameButReleaseValues(a, b, [])).toBe(false);
    differs(object('a', '1'), object('a', '1', { type: 'ClusterIP' }));
    differs(object('a', '1', { x: 1, y: 2 }), object('a', '1', { y: 2, x: 1 })); // key order prints otherwise
    differs(object('a', '1'), object('a b', '1')); // a value the key does not leave out
    differs({ a: [1, 2] }, { a: [1, 2, 3] });
    differs({ a: new Date(0) }, { a: new Date(0) }); // not JSON-shaped
    differs({ a: '1' }, { a: 1 });
    expect(sameButReleaseValues({ a: [{ b: null }], c: undefined }, { a: [{ b: null }], c: undefined }, [])).toBe(true);
  });
});
