/**
 * How big a YAML document becomes once its aliases and `<<` merges are expanded, measured on the
 * parsed nodes without expanding anything. Compose files share blocks through `x-` anchors: Sentry's
 * self-hosted file merges a few anchors into ~40 services and counts well over a thousand by the
 * `yaml` library's alias measure (uses of an anchor × the aliases inside it), so that measure cannot
 * tell it from an attack. The expanded size can: a real file grows a few times, a "billion laughs"
 * document by orders of magnitude, and the import walks the expanded data, so that is what is bounded.
 */
import type { Document } from 'yaml';
import { AliasCycleError, expandedShape } from '../spec/yamlNesting.js';

export { AliasCycleError };

/** The most nodes an expanded compose file may have (Sentry's self-hosted file expands to ~5,000). */
export const MAX_EXPANDED_NODES = 200_000;

/**
 * The number of nodes (maps, lists, scalars, map keys) of `doc` with every alias expanded, or
 * `limit + 1` as soon as it exceeds `limit` (measured iteratively, spec/yamlNesting.ts).
 */
export function expandedSize(doc: Document, limit = MAX_EXPANDED_NODES): number {
  return expandedShape(doc, limit).size;
}
