/**
 * Edge routing: picks the route of an app's edge for a request's host and path. Routes are
 * compiled once per table so a request costs one host normalisation and a short scan.
 *
 * Hosts match as a Kubernetes Ingress matches them: `shop.local` exactly (case-insensitive, port
 * ignored); `*.shop.local` any host with exactly one more label in front (`a.shop.local`, not
 * `shop.local` nor `a.b.shop.local`). An exact host beats a wildcard, a longer wildcard a shorter
 * one, and any host route a host-less one; within each, the longest prefix wins.
 */
import { isWildcardHost, wildcardMatches } from '../model/hosts.js';
import type { EdgeRoute } from './table.js';

/** A route ready for matching. */
export interface CompiledRoute<T> {
  /** Lower-case host without port, or undefined for any host (for a wildcard: as written, `*.shop.local`). */
  host: string | undefined;
  /** For a wildcard host `*.shop.local`: the suffix its hosts end with, `.shop.local`. */
  wildcard: string | undefined;
  /** The prefix without a trailing slash ('' for `/`, which matches every path). */
  prefix: string;
  stripPrefix: boolean;
  route: EdgeRoute;
  /** What the caller attached (the target's BackendSet in the gateway). */
  target: T;
}

function normalisePrefix(prefix: string): string {
  let p = prefix;
  while (p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/** Lower-case host without its port (`Shop.Example:8080` → `shop.example`, `[::1]:80` → `[::1]`). */
export function normaliseHost(host: string | undefined): string {
  if (!host) return '';
  let end = host.length;
  if (host.charCodeAt(0) === 91 /* [ */) {
    end = host.indexOf(']') + 1 || end;
  } else {
    const colon = host.indexOf(':');
    if (colon !== -1) end = colon;
  }
  return host.slice(0, end).toLowerCase();
}

/**
 * How specific a route's host is; smaller wins: an exact host, then wildcards by length (a longer
 * suffix is more specific), then any host.
 */
function hostRank(r: CompiledRoute<unknown>): number {
  if (r.host === undefined) return Number.MAX_SAFE_INTEGER;
  if (r.wildcard === undefined) return 0;
  return Number.MAX_SAFE_INTEGER - 1 - r.wildcard.length;
}

/** Orders routes so the first match is the winner: exact host, longer wildcard, shorter wildcard, any host; then longest prefix. */
export function compileRoutes<T>(routes: readonly EdgeRoute[], attach: (route: EdgeRoute) => T): CompiledRoute<T>[] {
  const compiled = routes.map((route) => {
    const host = route.host === undefined ? undefined : normaliseHost(route.host);
    return {
      host,
      wildcard: host !== undefined && isWildcardHost(host) ? host.slice(1) : undefined,
      prefix: normalisePrefix(route.pathPrefix),
      stripPrefix: route.stripPrefix,
      route,
      target: attach(route),
    };
  });
  // Stable sort keeps table order between routes that tie.
  return compiled.sort((a, b) => hostRank(a) - hostRank(b) || b.prefix.length - a.prefix.length);
}

/** True if `url` (path plus query) starts with `prefix` at a segment boundary. */
export function prefixMatches(url: string, prefix: string): boolean {
  if (prefix.length === 0) return true;
  if (!url.startsWith(prefix)) return false;
  if (url.length === prefix.length) return true;
  const c = url.charCodeAt(prefix.length);
  return c === 47 /* / */ || c === 63 /* ? */ || c === 35; /* # */
}

/** The first route matching `host` (raw Host header) and `url`, or undefined. */
export function matchRoute<T>(
  routes: readonly CompiledRoute<T>[],
  host: string | undefined,
  url: string,
): CompiledRoute<T> | undefined {
  let h: string | undefined;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]!;
    if (r.host !== undefined) {
      if (h === undefined) h = normaliseHost(host);
      if (r.wildcard === undefined ? r.host !== h : !wildcardMatches(h, r.wildcard)) continue;
    }
    if (prefixMatches(url, r.prefix)) return r;
  }
  return undefined;
}

/** The path to forward: `url` with the route's prefix removed if it strips, always starting with `/`. */
export function rewritePath(route: CompiledRoute<unknown>, url: string): string {
  if (!route.stripPrefix || route.prefix.length === 0) return url;
  const rest = url.slice(route.prefix.length);
  return rest.charCodeAt(0) === 47 ? rest : `/${rest}`;
}
