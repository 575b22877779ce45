/**
 * Reads a compose file's YAML with positions: anchors, aliases and `<<` merge keys resolved the way
 * compose resolves them, compose's `!reset` / `!override` tags accepted, and every syntax error
 * reported as file:line:col.
 */
import { isScalar, visit } from 'yaml';
import { ValidationError } from '../errors.js';
import type { Problem } from '../errors.js';
import type { Locate } from './report.js';
import { yamlLocator } from '../yamlPositions.js';
import { MAX_EXPANDED_NODES } from './yamlExpansion.js';
import { AliasCycleError, expandedShape, MAX_YAML_DEPTH, tooDeepMessage } from '../spec/yamlNesting.js';
import { parseYamlDocument } from '../spec/yamlDocument.js';

/** A compose file parsed to plain data, with a way back to positions. */
export interface ComposeDocument {
  file: string;
  data: Record<string, unknown>;
  locate: Locate;
}

function fail(file: string, problems: Problem[]): never {
  const n = problems.length;
  throw new ValidationError(`${file} is not a valid compose file (${n} problem${n === 1 ? '' : 's'})`, problems);
}

/** Parses compose YAML; throws ValidationError with file:line:col for syntax errors and non-map documents. */
export function parseCompose(text: string, file: string): ComposeDocument {
  // Syntax errors, duplicate keys and lists or maps used as keys, in text order (yamlDocument.ts).
  const { doc, lines, problems } = parseYamlDocument(text);
  if (problems.length > 0) {
    fail(
      file,
      problems.map((e) => {
        const { line, col } = lines.linePos(e.pos);
        if (e.code === 'COLLECTION_KEY')
          return { file, line, column: col, path: (e.path ?? []).join('.'), message: e.message };
        const message =
          e.code === 'MULTIPLE_DOCS' ? 'a compose file holds one document, this one has several (`---`)' : e.message;
        return { file, line, column: col, path: '', message: `YAML syntax: ${message.split('\n')[0]}` };
      }),
    );
  }
  // Compose's merge tags: `!override` replaces a merged value (what a plain key does here) and
  // `!reset` removes it (null, which the mapper treats as absent).
  visit(doc, {
    Node(_key, node) {
      if (node.tag === '!override') node.tag = undefined;
      if (node.tag === '!reset') {
        node.tag = undefined;
        if (isScalar(node)) node.value = null;
      }
    },
  });
  // Aliases are bounded by what they expand to (see yamlExpansion.ts), not by the library's count.
  try {
    const { size, depth } = expandedShape(doc, MAX_EXPANDED_NODES);
    if (depth > MAX_YAML_DEPTH)
      fail(file, [
        { file, line: 1, column: 1, path: '', message: `YAML: ${tooDeepMessage()} once its aliases are expanded` },
      ]);
    if (size > MAX_EXPANDED_NODES)
      fail(file, [
        {
          file,
          line: 1,
          column: 1,
          path: '',
          message: `YAML: its aliases expand to more than ${MAX_EXPANDED_NODES.toLocaleString('en')} nodes (an alias bomb?); a compose file needs far fewer`,
        },
      ]);
  } catch (err) {
    if (!(err instanceof AliasCycleError)) throw err;
    const { line, col } = lines.linePos(err.alias.range?.[0] ?? 0);
    fail(file, [{ file, line, column: col, path: '', message: `YAML: ${err.message}` }]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (err) {
    fail(file, [
      { file, line: 1, column: 1, path: '', message: `YAML: ${err instanceof Error ? err.message : String(err)}` },
    ]);
  }
  const locate = yamlLocator(doc, lines);
  if (data === null || data === undefined)
    fail(file, [{ file, line: 1, column: 1, path: '', message: 'the file is empty: expected a map with `services`' }]);
  if (typeof data !== 'object' || Array.isArray(data))
    fail(file, [{ file, line: 1, column: 1, path: '', message: 'expected a map with `services` at the top level' }]);
  return { file, data: data as Record<string, unknown>, locate };
}
