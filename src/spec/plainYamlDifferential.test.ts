/**
 * A differential test of the fast path (js-yaml, plainYaml.ts) against the `yaml` library that the
 * full path uses: the example specs and test data, mutated at random (seeded, so a failure repeats)
 * with the characters and constructs where YAML parsers tend to differ. Whenever the fast path
 * answers, its data must be the `yaml` library's and the library must find no problem; and the
 * loaders built on it (parseSpec, the incremental SpecParser) must give the full parse's verdict.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseSpec, parseSpecFully } from './load.js';
import { parsePlainYaml } from './plainYaml.js';
import { SpecParser } from './specParser.js';
import { parseYamlDocument } from './yamlDocument.js';

const root = join(import.meta.dirname, '../..');
const seeds = ['examples/shop/berth.yaml', 'examples/canary/berth.yaml', 'src/spec/testdata/shop/berth.yaml'].map((f) =>
  readFileSync(join(root, f), 'utf8'),
);

/** mulberry32: a small seeded generator, so a failing input can be made again from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What is inserted: line breaks of every kind, invisible characters, indentation, YAML syntax. */
const INSERTS = [
  '\r',
  '\r\r',
  '\r\n',
  '\n',
  '\t',
  ' ',
  '  ',
  '\ufeff',
  '\0',
  '\u2028',
  '\u2029',
  '\u0085',
  '\u00a0',
  '\u000b',
  '\u000c',
  '\u001b',
  '\ud800',
  '#',
  ' #',
  ':',
  ': ',
  '- ',
  '-',
  ',',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  '\\',
  '|',
  '>',
  '|-',
  '&a ',
  '*a',
  '<<: ',
  '? ',
  '!',
  '!!str ',
  '%',
  '@',
  '`',
  '---\n',
  '...\n',
  '%YAML 1.1\n---\n',
  '~',
  'null',
  'yes',
  '0x1F',
  '.inf',
  '1e3',
  '__proto__',
];

function mutate(text: string, next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  let out = text;
  const edits = 1 + Math.floor(next() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (out.length + 1));
    const kind = next();
    if (kind < 0.6) out = out.slice(0, at) + pick(INSERTS) + out.slice(at);
    else if (kind < 0.7) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(next() * 3));
    else {
      // A whole line: repeated (duplicate keys), re-indented, or moved to the start of the text.
      const lines = out.split('\n');
      const n = Math.floor(next() * lines.length);
      const line = lines[n]!;
      const how = next();
      if (how < 0.4) lines.splice(n, 0, line);
      else if (how < 0.6) lines[n] = ' '.repeat(1 + Math.floor(next() * 3)) + line;
      else if (how < 0.8) lines[n] = line.replace(/^ {1,3}/, '');
      else lines.unshift(line);
      out = lines.join('\n');
    }
  }
  return out;
}

/** The `yaml` library's verdict, as the full path reads a text: its data, or that it has a problem. */
function reference(text: string): { data: unknown } | 'problem' {
  const { doc, problems } = parseYamlDocument(text);
  if (problems.length > 0) return 'problem';
  try {
    return { data: doc.toJS({ maxAliasCount: 100 }) ?? null };
  } catch {
    return 'problem';
  }
}

/** A loader's verdict: the spec it loaded, or the problems it reported. */
function verdict(load: () => { spec: unknown }): unknown {
  try {
    return { spec: load().spec };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return { problems: err.problems };
  }
}

/** How many mutated texts, from which seed: `BERTH_DIFFERENTIAL_CASES=100000 BERTH_DIFFERENTIAL_SEED=7 npx vitest ...` for a longer search. */
const CASES = Number(process.env.BERTH_DIFFERENTIAL_CASES ?? 800);
const FIRST_SEED = Number(process.env.BERTH_DIFFERENTIAL_SEED ?? 1);

describe('the fast YAML path and the yaml library', () => {
  it(`agree on ${CASES} mutated example specs`, { timeout: 60_000 + CASES * 300 }, () => {
    const disagreements: string[] = [];
    let answeredFast = 0;
    const parser = new SpecParser();
    for (let seed = FIRST_SEED; seed < FIRST_SEED + CASES && disagreements.length < 10; seed++) {
      const next = random(seed);
      const text = mutate(seeds[seed % seeds.length]!, next);
      const fast = parsePlainYaml(text);
      const ref = reference(text);
      if (fast !== undefined) {
        answeredFast++;
        if (ref === 'problem' || !isDeepStrictEqual(fast.data, ref.data))
          disagreements.push(
            `seed ${seed}: fast path ${JSON.stringify(fast.data)?.slice(0, 80)}, yaml ${JSON.stringify(ref).slice(0, 80)}: ${JSON.stringify(text)}`,
          );
      }
      const full = verdict(() => parseSpecFully(text, 'berth.yaml'));
      const quick = verdict(() => parseSpec(text, 'berth.yaml'));
      const incremental = verdict(() => parser.parse(text, 'berth.yaml'));
      if (!isDeepStrictEqual(quick, full))
        disagreements.push(`seed ${seed}: parseSpec differs from the full parse: ${JSON.stringify(text)}`);
      if (!isDeepStrictEqual(incremental, full))
        disagreements.push(`seed ${seed}: SpecParser differs from the full parse: ${JSON.stringify(text)}`);
    }
    if (process.env.BERTH_DIFFERENTIAL_OUT) writeFileSync(process.env.BERTH_DIFFERENTIAL_OUT, disagreements.join('\n'));
    expect(disagreements).toEqual([]);
    // The mutations leave many texts plain: the fast path is exercised, not just skipped.
    expect(answeredFast).toBeGreaterThan(CASES / 20);
  });

  it('agree on bare carriage returns', () => {
    const text = 'name: a\r\r\nservices:\n  web:\n    image: x\n';
    // The yaml library keeps the first \r in the name (`a\r`, which the schema refuses); js-yaml
    // took both as line breaks and loaded `a`.
    expect(parsePlainYaml(text)).toBeUndefined();
    expect(verdict(() => parseSpec(text, 'berth.yaml'))).toEqual(verdict(() => parseSpecFully(text, 'berth.yaml')));
    expect(() => parseSpec(text, 'berth.yaml')).toThrow(ValidationError);
  });

  it('agree on a comment right after a closing bracket or quote (an error to yaml, a comment to js-yaml)', () => {
    for (const text of ['a: [1]#\n', 'a: {b: 1}#\n', 'a: "x"#\n', "a: 'x'#\n", 'a:\n  - [1]#\n']) {
      expect(parsePlainYaml(text), text).toBeUndefined();
      expect(reference(text), text).toBe('problem');
    }
  });
});
