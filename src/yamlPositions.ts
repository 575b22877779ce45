/**
 * Positions in a YAML document by field path, for errors that name file, line and column. Follows
 * aliases and `<<` merge keys the way the YAML loader resolves them. Used for berth.yaml and for
 * imported compose files.
 */
import { isAlias, isMap, isScalar, isSeq, visit } from 'yaml';
import type { Alias, Document, LineCounter, Node, Pair } from 'yaml';

/** A path into a document: map keys and list indexes. */
export type YamlPath = readonly (string | number)[];

/** Position of a path: the key for maps, lists and empty values (or when `at` is 'key'), else the value. */
export type Locate = (path: YamlPath, at?: 'key' | 'value') => { line: number; column: number } | undefined;

function keyText(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value !== 'symbol' ? String(node.value) : undefined;
}

/** With `merge: true` the `<<` key's value is a symbol. */
function isMergeKey(node: unknown): boolean {
  return isScalar(node) && (typeof node.value === 'symbol' || node.value === '<<');
}

/**
 * Each alias of `doc` and the node it refers to: the last node before it with its anchor, as YAML
 * resolves it (one walk; `alias.resolve(doc)` walks the document again for every alias). An alias
 * with no anchor before it is absent.
 */
export function aliasSources(doc: Document): Map<Alias, Node> {
  const found = new Map<Alias, Node>();
  const latest = new Map<string, Node>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const source = latest.get(node.source);
        if (source) found.set(node, source);
      } else if (node.anchor) latest.set(node.anchor, node);
    },
  });
  return found;
}

/** What an alias resolves to (the walk is done on first use, once per document). */
type Resolve = (alias: Alias) => unknown;

function aliasResolver(doc: Document): Resolve {
  let sources: Map<Alias, Node> | undefined;
  return (alias) => (sources ??= aliasSources(doc)).get(alias);
}

/** The pair for `key` in a map, following `<<` merge keys like the YAML loader does. */
function findPair(resolve: Resolve, map: unknown, key: string, depth = 0): Pair | undefined {
  if (!isMap(map) || depth > 10) return undefined;
  const own = map.items.find((p) => keyText(p.key) === key);
  if (own) return own as Pair;
  for (const p of map.items) {
    if (!isMergeKey(p.key)) continue;
    const sources = isSeq(p.value) ? p.value.items : [p.value];
    for (const s of sources) {
      const found = findPair(resolve, isAlias(s) ? resolve(s) : s, key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/** A locator for `doc`; a path deeper than the document gives the nearest existing node. */
export function yamlLocator(doc: Document, lines: LineCounter): Locate {
  const resolve = aliasResolver(doc);
  return (path, at = 'value') => {
    let node: unknown = doc.contents;
    let key: unknown;
    let matched = 0;
    for (const seg of path) {
      if (isAlias(node)) node = resolve(node);
      const pair = isMap(node) ? findPair(resolve, node, String(seg)) : undefined;
      const item = isSeq(node) && typeof seg === 'number' ? node.items[seg] : undefined;
      if (pair) {
        key = pair.key;
        node = pair.value ?? pair.key;
      } else if (item) {
        key = undefined;
        node = item;
      } else break;
      matched++;
    }
    // A block map or list starts at its first entry, and `web:` with nothing after it has an empty
    // value at the end of the line: the key is where people look.
    const resolved = isAlias(node) ? resolve(node) : node;
    const emptyValue = isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1];
    const preferKey = at === 'key' || isMap(resolved) || isSeq(resolved) || isAlias(node) || emptyValue;
    const target = (preferKey && matched === path.length && key ? key : node) as Node | null;
    const offset = target?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
}
