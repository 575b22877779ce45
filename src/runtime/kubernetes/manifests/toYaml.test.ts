import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { objectToYaml, objectsToYaml } from './toYaml.js';
import { renderManifests } from './render.js';
import { fixtureInput } from './testdata/fixture.js';

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
