import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { parsePlainYaml } from './plainYaml.js';

/** What the full path sees: the `yaml` library's data, or undefined when it reports an error. */
function reference(text: string): { data: unknown } | undefined {
  const doc = parseDocument(text, { prettyErrors: false, merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  return { data: doc.toJS({ maxAliasCount: 100 }) ?? null };
}

/** Every fast answer equals the `yaml` library's; `fast` says whether one is expected. */
function agrees(text: string, fast: boolean): void {
  const quick = parsePlainYaml(text);
  if (fast) expect(quick, text).toBeDefined();
  if (quick !== undefined) expect(quick, text).toEqual(reference(text));
}

const scalars = [
  'plain',
  'two words',
  '"quoted"',
  "'single ''quoted'''",
  '"esc\\t\\n\\u00e9\\x41\\/"',
  '~',
  'null',
  'Null',
  'NULL',
  'nul',
  'true',
  'True',
  'TRUE',
  'tRUE',
  'false',
  'yes',
  'no',
  'on',
  'off',
  'y',
  '0',
  '-0',
  '+12',
  '007',
  '1_000',
  '0o17',
  '0o19',
  '0x1F',
  '0X1F',
  '-0x1F',
  '0b101',
  '1.5',
  '1.',
  '.5',
  '-.5',
  '+1.5e3',
  '1e3',
  '1E-3',
  '1.0e+3',
  '.inf',
  '-.Inf',
  '+.INF',
  '.nan',
  '.NaN',
  '-.nan',
  '12:30:00',
  '2024-01-01',
  '2024-01-01T10:00:00Z',
  '70%',
  '100m',
  '128Mi',
  '1m30s',
  '${VAR}',
  '${A:-b}/c',
  'http://x:80/y?q=1',
  'a#b',
  '9007199254740993',
  '123456789012345678901234567890',
  '',
];

const documents = [
  'name: shop\nservices:\n  web:\n    image: nginx\n',
  'a: 1\nb:\n  - x\n  - y: 2\n    z: [1, "two", {three: 3}]\n',
  'text: |\n  line one\n  line two\nfolded: >-\n  one\n  two\n\n  three\nkeep: |+\n  kept\n\n',
  'multi: this is\n  a plain scalar\n  over lines\n',
  'empty:\nlist: []\nmap: {}\nnull_value: ~\n',
  '---\nname: x\n',
  'name: x\n...\n',
  'name: x # comment\n# a comment\n',
  '\ufeffname: bom\n',
  'name: crlf\r\nservices: {}\r\n',
  'key with spaces: v\n"quoted key": v\n\'single key\': v\n',
  '1: one\n2.5: float key\ntrue: bool key\n',
  '"": empty key\n',
  'tabs: "a\tb"\n',
  'unicode: "é ✓ 日本"\nplain_unicode: é✓\n',
  'deep:\n  a:\n    b:\n      c:\n        d: [e, {f: g}]\n',
  'seq:\n- a\n- b\n',
  'flow: {a: 1, b: [2, 3], c: {d: "e"}}\n',
  'ports: [8080, "9090/udp", {port: 53, protocol: UDP}]\n',
  'cron: "*/5 * * * *"\n',
  'command: ls *.txt\n',
  'command: "echo \\"quoted\\" [not flow"\nnext: it\'s {fine}\n',
  "single: 'it''s [not flow'\n",
  'url: http://x/#anchor\nafter: "a # not a comment"\n',
  'k: v\n  continued plain\n',
  'block: |\n  [unbalanced\n  "quote\nnext: 1\n',
  '- |-\n  a {\n- b\n',
  "cron: '*/5 * * * *'\n",
  'resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 512Mi } }\n',
  'env:\n  A: ${B:-x}\n  C: "${D}"\n  E: $$literal\n',
  'long: ' + 'x'.repeat(2000) + '\n',
  'n: [0, -1, +1, 1.5, .inf, .nan, 0o7, 0x7, 1e2]\n',
  '[a, b]\n',
  '- 1\n- 2\n',
  'just a string\n',
  '42\n',
  '',
  '# only a comment\n',
];

/** Texts the fast path must hand to the `yaml` library (features, errors, keys it would turn differently). */
const slow = [
  'base: &b {a: 1}\nuse: *b\n',
  'base: &b {a: 1}\nuse:\n  <<: *b\n  c: 2\n',
  'm:\n  <<: {a: 1}\n  b: 2\n',
  'a: !!str 1\n',
  'a: !custom x\n',
  '%YAML 1.1\n---\na: yes\n',
  '%TAG ! tag:example.com,2000:\n---\na: 1\n',
  '? complex\n: key\n',
  '? [a, b]\n: c\n',
  'a: 1\na: 2\n',
  'a: 1\n---\nb: 2\n',
  'a: [1, 2\n',
  'a: "unclosed\n',
  'a:\n\t- tab\n',
  'a: b: c\n',
  '~: null key\n',
  'null: null key\n',
  '[a, b]: c\n',
  '{a: 1}: c\n',
  '__proto__: x\n',
  'a: [1,\n2]\n',
  'a:\n  b: [1,\n  2]\n',
  'a:\n  b: {x: 1,\n y: 2}\n',
  'a: "x\n y"\n',
  'q: "a\n  b"\n',
  'a:\n  b: "x\ny"\n',
  "a: 'x\ny'\n",
  'a:\n  b: x\n y\n',
  'a:\n  b: |\n  x\n',
  'a:\n  - b\n - c\n',
  'command: *.txt\n',
];

describe('parsePlainYaml', () => {
  it('gives the data the yaml library gives for every scalar form', () => {
    for (const s of scalars) {
      agrees(`v: ${s}\n`, true);
      agrees(`- ${s}\n`, true);
      // In flow collections `{`, `}` and `#` end a plain scalar: the yaml library may reject those.
      const flowSafe = !/[{}#]/.test(s);
      agrees(`v: [${s}]\n`, flowSafe && s !== '');
      agrees(`k${s.replace(/[^a-z0-9]/gi, '')}: {v: ${s}}\n`, flowSafe);
    }
  });

  it('gives the data the yaml library gives for documents, collections, block scalars and keys', () => {
    for (const d of documents) agrees(d, true);
  });

  it('leaves anchors, merge keys, tags, directives, complex and odd keys, and errors to the yaml library', () => {
    for (const d of slow) {
      expect(parsePlainYaml(d), d).toBeUndefined();
      agrees(d, false);
    }
  });

  it('agrees on every berth.yaml in the repository (examples and test data)', async () => {
    const root = join(import.meta.dirname, '../..');
    const files: string[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > 4) return;
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (e.name === 'node_modules' || e.name.startsWith('.') || e.name === 'dist') continue;
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p, depth + 1);
        else if (/\.ya?ml$/.test(e.name)) files.push(p);
      }
    };
    await walk(join(root, 'examples'), 0);
    await walk(join(root, 'src'), 0);
    expect(files.length).toBeGreaterThan(3);
    let fast = 0;
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      agrees(text, false);
      if (parsePlainYaml(text)) fast++;
    }
    expect(fast).toBeGreaterThan(0);
  });
});
