import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { objectToYaml, objectsToYaml, yamlDocuments } from './toYaml.js';
import { referenceYaml } from './testdata/referenceYaml.js';
import { renderManifests } from './render.js';
import { fixtureInput } from './testdata/fixture.js';
import { ANNOTATION, type KubernetesObject } from './contract.js';

const tricky = [
  '',
  ' ',
  'plain',
  'two words',
  'yes',
  'No',
  'null',
  '~',
  'true',
  '8080',
  '1.0',
  '0x1F',
  '-1',
  '.inf',
  '1e3',
  'a: b',
  'a #b',
  'ends:',
  'http://x:80/y',
  '{{ .Values.x }}',
  '*alias',
  '&anchor',
  '!tag',
  '- item',
  '"quoted"',
  "it's",
  'line\n',
  'line',
  'two\nlines',
  'trailing\n\n\n',
  '\nleading newline',
  ' leading space\nx',
  'tab\tinside\n',
  'crlf\r\nline',
  'nul\u0000',
  'emoji 🚀\nsecond',
  '  indented\n  block\n',
  'back\\slash',
  'a\n\nb\n',
  '--- doc\n',
  '#comment\n',
];

describe('objectsToYaml', () => {
  it('reads back as the same data for tricky strings, as keys and values, in maps and lists', () => {
    const data = {
      values: Object.fromEntries(tricky.map((s, i) => [`k${i}`, s])),
      keys: Object.fromEntries(tricky.map((s, i) => [s, i])),
      list: tricky,
      nested: [{ a: 1, b: [true, null, { c: 'd' }], e: {} }, [], [[1, 2], 'x'], {}],
      numbers: { int: 3, float: 0.5, neg: -2, bool: false },
    };
    expect(parse(objectToYaml(data))).toEqual(data);
  });

  it('reads back as the rendered objects', () => {
    const objs = renderManifests(fixtureInput().manifest);
    const back = parseAllDocuments(objectsToYaml(objs)).map((d) => d.toJS());
    expect(back).toEqual(JSON.parse(JSON.stringify(objs)));
  });

  it('prints the same bytes as the emitter it replaced, for random data of tricky strings and keys', () => {
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    // Strings glued from pieces that sit at the edges of the plain / block / quoted choices.
    const pieces = [
      'a',
      'Z',
      '_',
      '/',
      '0',
      ' ',
      ':',
      ': ',
      ' #',
      '#',
      '-',
      '.',
      '\n',
      '\t',
      '"',
      "'",
      'é',
      'yes',
      'No',
      'False',
      'off',
      'Y',
      'n',
      'NULL',
      '~',
      '@',
      '%',
      '=',
      '(',
      '[',
      '\u2028',
      '\r',
    ];
    const text = (): string =>
      next() < 0.2 ? pick(tricky) : Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(pieces)).join('');
    const value = (depth: number): unknown => {
      const r = next();
      if (depth > 3 || r < 0.45) return text();
      if (r < 0.55) return pick([0, -1.5, 3e21, true, false, null, undefined]);
      if (r < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [text(), value(depth + 1)]));
    };
    for (let i = 0; i < 3000; i++) {
      const v = value(0);
      const printed = objectToYaml(v);
      expect(printed).toBe(referenceYaml(v));
      // (An empty list at the top prints as an empty document, as it always did.)
      if (v !== null && typeof v === 'object' && printed !== '\n')
        expect(parse(printed)).toEqual(JSON.parse(JSON.stringify(v)));
    }
  });

  it('prints the rendered objects as the emitter it replaced did, and the same with documents printed before', () => {
    const objs = renderManifests(fixtureInput({ secrets: 'masked' }).manifest);
    const whole = objs.map(referenceYaml).join('---\n');
    expect(objectsToYaml(objs)).toBe(whole);
    expect(objectsToYaml(objs, yamlDocuments(objs))).toBe(whole);
  });
});

describe('yamlDocuments keys', () => {
  const base = () =>
    renderManifests(fixtureInput({ secrets: 'masked' }).manifest).find(
      (o) => o.kind === 'Deployment',
    )! as KubernetesObject & {
      spec: { replicas: unknown; template: { metadata: { annotations: Record<string, unknown> } } };
    };
  const keyOf = (o: unknown) => yamlDocuments([o]).key(0);

  it('are the same for objects that differ only in release annotation values', () => {
    const a = base();
    const b = base();
    b.metadata.annotations = { ...b.metadata.annotations, [ANNOTATION.revision]: '13', [ANNOTATION.hash]: 'abc' };
    b.spec.template.metadata.annotations[ANNOTATION.configChecksum] = 'f00d';
    expect(keyOf(a)).toBeDefined();
    expect(keyOf(b)).toBe(keyOf(a));
    expect(yamlDocuments([b]).hasKey(0, keyOf(a)!)).toBe(true);
    expect(objectToYaml(b)).not.toBe(objectToYaml(a));
  });

  it('differ for any other difference, a release annotation that is not a plain string included', () => {
    const a = base();
    const changes: ((o: ReturnType<typeof base>) => void)[] = [
      (o) => (o.spec.replicas = String(o.spec.replicas)),
      (o) => (o.metadata.labels = { ...o.metadata.labels, extra: 'x' }),
      (o) => (o.metadata.annotations = { ...o.metadata.annotations, 'berth.dev/other': '1' }),
      (o) => (o.metadata.annotations = { ...o.metadata.annotations, [ANNOTATION.revision]: 'a"b' }),
      (o) => (o.metadata.annotations = { ...o.metadata.annotations, [ANNOTATION.revision]: 'a\nb' }),
      (o) => (o.spec.template.metadata.annotations[ANNOTATION.hash] = 5),
      (o) => (o.spec.template.metadata.annotations[ANNOTATION.hash] = null),
      (o) => (o.spec.template.metadata.annotations[ANNOTATION.hash] = { nested: 'x' }),
    ];
    const keys = new Set([keyOf(a)]);
    for (const change of changes) {
      const b = base();
      change(b);
      const k = keyOf(b);
      expect(k).toBeDefined();
      expect(keys.has(k)).toBe(false);
      // Compared in place (as validation does), it matches its own key and no other.
      const printed = yamlDocuments([b]);
      expect(printed.hasKey(0, k!)).toBe(true);
      for (const other of keys) expect(printed.hasKey(0, other!)).toBe(false);
      keys.add(k);
    }
  });

  it('are missing for values YAML would not tell apart from others (not JSON-shaped data)', () => {
    for (const odd of [NaN, Infinity, 1n, new Date(0), new Map([[1, 2]]), () => 1, [undefined]])
      expect(keyOf({ a: { b: odd } })).toBeUndefined();
    expect(keyOf({ a: { b: [null], c: undefined } })).toBeDefined();
    expect(objectToYaml({ a: NaN })).toBe(objectToYaml({ a: 'NaN' }));
    expect(keyOf({ a: 'NaN' })).toBeDefined();
  });
});

describe('objectToYaml', () => {
  it('prints what people expect to read', () => {
    expect(
      objectToYaml({
        metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
        ports: [{ name: 'http', port: 80 }],
        data: { 'app.conf': 'a=1\nb=2\n' },
      }),
    ).toBe(
      [
        'metadata:',
        '  name: web',
        '  labels:',
        '    app.kubernetes.io/name: web',
        'ports:',
        '  - name: http',
        '    port: 80',
        'data:',
        '  app.conf: |',
        '    a=1',
        '    b=2',
        '',
      ].join('\n'),
    );
  });
});
