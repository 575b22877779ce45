/**
 * How deeply a YAML text nests its lists and maps, measured on the parser's token tree before the
 * document is built. Building a document, turning it into data and every later walk of that data
 * recurse once per level, so `[[[[…` 20,000 deep exhausts the call stack ("Maximum call stack size
 * exceeded"); a text nested deeper than MAX_YAML_DEPTH is refused instead, at the first list or map
 * too deep. A berth.yaml or a compose file needs about ten levels. Aliases can nest a document
 * deeper than its text (an anchored list holding an alias of another): `expandedShape` measures that.
 */
import { isAlias, isMap, isSeq } from 'yaml';
import type { Alias, CST, Document, Node } from 'yaml';
import { aliasSources } from '../yamlPositions.js';

/** The most nested lists and maps a berth.yaml or compose file may have. */
export const MAX_YAML_DEPTH = 100;

/** The message for a text nested deeper than `limit`. */
export function tooDeepMessage(limit = MAX_YAML_DEPTH): string {
  return `nested too deeply (more than ${limit} levels of lists and maps)`;
}

/**
 * The offset of the first list or map nested deeper than `limit` in the parser's tokens, or
 * undefined. Iterative: the token tree may be as deep as the text is long.
 */
export function tooDeepAt(tokens: readonly CST.Token[], limit = MAX_YAML_DEPTH): number | undefined {
  const stack: { token: CST.Token | null | undefined; depth: number }[] = tokens.map((token) => ({ token, depth: 0 }));
  stack.reverse();
  let first: number | undefined;
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    if (!token) continue;
    if (token.type === 'document') {
      stack.push({ token: token.value, depth });
      continue;
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    if (depth + 1 > limit) {
      if (first === undefined || token.offset < first) first = token.offset;
      continue;
    }
    for (const item of token.items) {
      if ('key' in item) stack.push({ token: item.key, depth: depth + 1 });
      stack.push({ token: item.value, depth: depth + 1 });
    }
  }
  return first;
}

/** Why a document cannot be expanded: an alias inside its own anchor. */
export class AliasCycleError extends Error {
  readonly alias: Alias;
  constructor(alias: Alias) {
    super(`the alias *${alias.source} is inside the node its anchor names: expanding it never ends`);
    this.alias = alias;
  }
}

/** A node's size once expanded (maps, lists, scalars, map keys) and its depth of lists and maps. */
export interface Shape {
  size: number;
  depth: number;
}

function childrenOf(node: Node): unknown[] {
  if (isSeq(node)) return node.items;
  if (isMap(node)) return node.items.flatMap((pair) => [pair.key, pair.value]);
  return [];
}

/**
 * The size and depth of `doc` with every alias expanded, measured without expanding anything; the
 * size stops counting past `limit` (it is then `limit + 1`). An alias refers to the last anchor of its
 * name before it, as YAML resolves it; an unknown alias counts as one node (the loader reports it).
 * Iterative, so an alias chain that expands to thousands of levels is measured, not followed on the
 * call stack. Throws AliasCycleError for an alias inside its own anchor.
 */
export function expandedShape(doc: Document, limit: number): Shape {
  const sourceOf = aliasSources(doc);
  const known = new Map<Node, Shape>();
  const inProgress = new Set<Node>();
  const cap = (n: number) => Math.min(n, limit + 1);
  /** The node an item stands for: an alias's source. */
  const target = (item: unknown): unknown => (isAlias(item) ? (sourceOf.get(item) ?? item) : item);
  /** The shape of a leaf or an already measured collection; undefined for one to measure. */
  const shapeOf = (item: unknown): Shape | undefined => {
    const node = target(item);
    if (node === null || node === undefined) return { size: 0, depth: 0 };
    if (!isMap(node) && !isSeq(node)) return { size: 1, depth: 0 };
    if (inProgress.has(node)) throw new AliasCycleError(item as Alias);
    return known.get(node);
  };
  const first = shapeOf(doc.contents);
  if (first) return first;
  const open = (node: Node) => {
    inProgress.add(node);
    return { node, children: childrenOf(node), next: 0, size: 1, depth: 1 };
  };
  const stack = [open(doc.contents as Node)];
  for (;;) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.children.length && top.size <= limit) {
      const child = top.children[top.next++];
      const shape = shapeOf(child);
      if (!shape) stack.push(open(target(child) as Node));
      else {
        top.size = cap(top.size + shape.size);
        top.depth = Math.max(top.depth, shape.depth + 1);
      }
      continue;
    }
    stack.pop();
    inProgress.delete(top.node);
    const shape = { size: top.size, depth: top.depth };
    known.set(top.node, shape);
    const parent = stack[stack.length - 1];
    if (!parent) return shape;
    parent.size = cap(parent.size + shape.size);
    parent.depth = Math.max(parent.depth, shape.depth + 1);
  }
}
