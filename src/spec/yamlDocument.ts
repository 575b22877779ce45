/**
 * berth.yaml as a YAML document with positions: the `yaml` library's parse, with the two checks on
 * keys done here in one iterative walk instead of by the library.
 *
 * - Duplicate keys: the library compares each key with every earlier key of its map, which takes
 *   seconds for a map of 10,000 services (a valid spec is loaded without this parse, but an invalid
 *   one, or one that needs positions, is not); a Set per map finds the same duplicates at once.
 * - Keys that are lists or maps (`[a, b]: x`, `? {a: 1}`): a JavaScript object cannot have them, so
 *   the library would turn them into strings and print a process warning on the user's terminal.
 *   They are reported as problems at their position instead, and the library's warnings are off.
 */
import { Composer, isAlias, isMap, isScalar, isSeq, LineCounter, Parser, parseDocument, YAMLParseError } from 'yaml';
import type { Alias, CST, Document, ErrorCode, Node } from 'yaml';
import { tooDeepAt, tooDeepMessage } from './yamlNesting.js';
import { aliasSources } from '../yamlPositions.js';
import type { DocPath } from './problems.js';

/** A problem found in the document before its data is read, at an offset of the text. */
export interface YamlProblem {
  /** Offset in the text. */
  pos: number;
  code: ErrorCode | 'COLLECTION_KEY' | 'TOO_DEEP';
  message: string;
  /** The field path of the map holding a bad key; absent for syntax errors. */
  path?: DocPath;
}

export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
  /** Syntax errors, duplicate keys and collection keys, in text order. */
  problems: YamlProblem[];
}

/** The `yaml` library's options for berth.yaml (YAML 1.2 core schema, merge keys). */
const OPTIONS = { prettyErrors: false, merge: true, uniqueKeys: false, logLevel: 'error' } as const;

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** Parses berth.yaml text; never throws on bad YAML (it is in `problems`). */
export function parseYamlDocument(text: string): ParsedYaml {
  const lines = new LineCounter();
  // parseDocument(text, options) in two steps, to refuse a text nested too deeply before building
  // its document, which recurses per level (yamlNesting.ts).
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const deep = tooDeepAt(tokens);
  if (deep !== undefined)
    return { doc: parseDocument(''), lines, problems: [{ pos: deep, code: 'TOO_DEEP', message: tooDeepMessage() }] };
  const doc = composeDocument(tokens, text);
  const problems: YamlProblem[] = doc.errors.map((e) => ({ pos: e.pos[0], code: e.code, message: e.message }));
  problems.push(...keyProblems(doc));
  problems.sort((a, b) => a.pos - b.pos);
  return { doc, lines, problems };
}

/** The first document of the tokens (a second one is an error, as in `parseDocument`). */
function composeDocument(tokens: CST.Token[], text: string): Document.Parsed {
  let doc: Document.Parsed | undefined;
  for (const next of new Composer(OPTIONS).compose(tokens, true, text.length)) {
    if (!doc) doc = next;
    else {
      const range: [number, number] = [next.range[0], next.range[1]];
      doc.errors.push(new YAMLParseError(range, 'MULTIPLE_DOCS', 'Source contains multiple documents'));
      break;
    }
  }
  return doc!;
}

/** Keys that are lists or maps, and duplicate keys (with `uniqueKeys: false` the library leaves both to this). */
export function keyProblems(doc: Document.Parsed): YamlProblem[] {
  const problems: YamlProblem[] = [];
  let sources: Map<Alias, Node> | undefined;
  const stack: { node: unknown; path: DocPath }[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isSeq(node)) node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    if (!isMap(node)) continue;
    const seen = new Set<unknown>();
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const pos = key?.range?.[0] ?? node.range?.[0] ?? 0;
      if (isMap(key) || isSeq(key) || (isAlias(key) && !isScalar((sources ??= aliasSources(doc)).get(key)))) {
        problems.push({
          pos,
          code: 'COLLECTION_KEY',
          path,
          message: 'a key must be a single value such as a name, not a list or a map',
        });
        continue;
      }
      // An alias key (`*name: x`) is the scalar its anchor names: it duplicates a key like that scalar would.
      const scalar = isAlias(key) ? (sources ??= aliasSources(doc)).get(key) : key;
      if (isScalar(scalar)) {
        if (seen.has(scalar.value)) problems.push({ pos, code: 'DUPLICATE_KEY', message: 'Map keys must be unique' });
        seen.add(scalar.value);
      }
      stack.push({ node: pair.value, path: [...path, keyText(key)] });
    }
  }
  return problems;
}
