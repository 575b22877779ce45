/**
 * Wildcard hosts of routes and certificates (`*.shop.local`: exactly one label in front). Part of the
 * shared model (dependency-free): both data planes route by it, the release matches certificates by it.
 */

/** True if `host` is a wildcard host (`*.shop.local`). */
export function isWildcardHost(host: string): boolean {
  return host.startsWith('*.');
}

/** True if the normalised request host `h` is matched by the wildcard suffix `suffix` (`.shop.local`): one more label. */
export function wildcardMatches(h: string, suffix: string): boolean {
  const label = h.length - suffix.length;
  return label > 0 && h.endsWith(suffix) && h.lastIndexOf('.', label - 1) === -1;
}
