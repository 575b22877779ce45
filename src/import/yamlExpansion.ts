/**
 * How big a YAML document becomes once its aliases and `<<` merges are expanded, measured on the
 * parsed nodes without expanding anything. Compose files share blocks through `x-` anchors: Sentry's
 * self-hosted file merges a few anchors into ~40 services and counts well over a thousand by the
 * `yaml` library's alias measure (uses of an anchor × the aliases inside it), so that measure cannot
 * tell it from an attack. The expanded size can: a real file grows a few times, a "billion laughs"
 * document by orders of magnitude, and the import walks the expanded data, so that is what is bounded.
 */
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Alias, Document, Node } from 'yaml';
import { aliasSources } from '../yamlPositions.js';

/** The most nodes an expanded compose file may have (Sentry's self-hosted file expands to ~5,000). */
export const MAX_EXPANDED_NODES = 200_000;

/** Why the document cannot be expanded safely: an alias inside its own anchor. */
export class AliasCycleError extends Error {
  readonly alias: Alias;
  constructor(alias: Alias) {
    super(`the alias *${alias.source} is inside the node its anchor names: expanding it never ends`);
    this.alias = alias;
  }
}

/**
 * The number of nodes (maps, lists, scalars, map keys) of `doc` with every alias expanded, or
 * `limit + 1` as soon as it exceeds `limit`. An alias refers to the last anchor of its name before
 * it, as YAML resolves it; an unknown alias counts as one node (the loader reports it).
 */
export function expandedSize(doc: Document, limit = MAX_EXPANDED_NODES): number {
  const sourceOf = aliasSources(doc);
  const sizes = new Map<Node, number>();
  const inProgress = new Set<Node>();
  const cap = (n: number) => Math.min(n, limit + 1);
  const size = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    if (isPair(node)) return cap(size(node.key) + size(node.value));
    if (isScalar(node)) return 1;
    if (isAlias(node)) {
      const source = sourceOf.get(node);
      if (!source) return 1;
      if (inProgress.has(source)) throw new AliasCycleError(node);
      return size(source);
    }
    if (!isMap(node) && !isSeq(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    inProgress.add(node);
    let total = 1;
    for (const item of node.items) {
      total = cap(total + size(item));
      if (total > limit) break;
    }
    inProgress.delete(node);
    sizes.set(node, total);
    return total;
  };
  return size(doc.contents);
}
