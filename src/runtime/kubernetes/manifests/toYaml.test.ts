import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { objectToYaml, objectsToYaml } from './toYaml.js';
import { renderManifests } from './render.js';
import { fixtureInput, FIXTURE_TEXT } from './testdata/fixture.js';
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

  it('prints from remembered documents exactly what it prints afresh, after edits and revision changes', () => {
    const fresh = (objs: KubernetesObject[]) => objectsToYaml(objs);
    const cached = (objs: KubernetesObject[]) =>
      objectsToYaml(
        objs,
        objs.map((o) => JSON.stringify(o)),
      );
    const first = renderManifests(fixtureInput({ secrets: 'masked' }).manifest);
    expect(cached(first)).toBe(fresh(first));
    expect(cached(first)).toBe(fresh(first));
    // Every object differs in its release annotations (and some in their data) from the ones printed before.
    const next = renderManifests(
      fixtureInput({ secrets: 'masked' }, FIXTURE_TEXT.replace('name: shop', 'name: shop\n# edited')).manifest,
    ).map((o) => ({
      ...o,
      metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, [ANNOTATION.revision]: '13' } },
    }));
    expect(cached(next)).toBe(fresh(next));
    expect(cached(next)).toContain(`${ANNOTATION.revision}: "13"`);
  });

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
